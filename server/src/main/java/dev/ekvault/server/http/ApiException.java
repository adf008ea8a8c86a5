package dev.ekvault.server.http;

import dev.ekvault.api.ErrorCode;

/**
 * The one exception that becomes an error response: its code gives the status, its message the body
 * {@code {"message"}}. Messages name the field or resource at fault and never contain a secret value or token.
 */
public final class ApiException extends RuntimeException {
    public final ErrorCode code;

    public ApiException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(ErrorCode.BAD_REQUEST, message);
    }

    public static ApiException notFound(String what) {
        return new ApiException(ErrorCode.NOT_FOUND, what + " not found");
    }

    public static ApiException forbidden(String message) {
        return new ApiException(ErrorCode.FORBIDDEN, message);
    }

    public static ApiException conflict(String message) {
        return new ApiException(ErrorCode.CONFLICT, message);
    }

    /** The single message of every 401, whatever the reason, so a caller learns nothing from it. */
    public static ApiException unauthorized() {
        return new ApiException(ErrorCode.UNAUTHORIZED, "missing, invalid or expired credential");
    }
}
