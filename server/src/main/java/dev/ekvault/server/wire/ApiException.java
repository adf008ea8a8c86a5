package dev.ekvault.server.wire;

import dev.ekvault.api.ErrorCode;

/**
 * The one exception that becomes an error response: its code gives the status, its message the body
 * {@code {"message"}}. Messages name the field or resource at fault and never contain a secret value or token.
 */
public final class ApiException extends RuntimeException {
    public final ErrorCode code;
    /** Sent as {@code Retry-After} when positive. */
    public final long retryAfterSeconds;

    public ApiException(ErrorCode code, String message) {
        this(code, message, 0);
    }

    private ApiException(ErrorCode code, String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
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

    /** 503: the server cannot answer this right now; the client should retry after the given time. */
    public static ApiException unavailable(String message, long retryAfterSeconds) {
        return new ApiException(ErrorCode.UNAVAILABLE, message, retryAfterSeconds);
    }

    /** The single message of every 401, whatever the reason, so a caller learns nothing from it. */
    public static ApiException unauthorized() {
        return new ApiException(ErrorCode.UNAUTHORIZED, "missing, invalid or expired credential");
    }
}
