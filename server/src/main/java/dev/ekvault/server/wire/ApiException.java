package dev.ekvault.server.wire;

import dev.ekvault.api.ErrorCode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one exception that becomes an error response: its code gives the status, its message the body
 * {@code {"message"}}. Messages name the field or resource at fault and never contain a secret value or token.
 */
public final class ApiException extends RuntimeException {
    public final ErrorCode code;
    /** Sent as {@code Retry-After} when positive. */
    public final long retryAfterSeconds;
    /**
     * Fields the body carries after {@code message}, for a client that acts on the details (a bulk create's
     * collisions); empty for almost every error. Same rule as the message: no secret value or token.
     */
    public final Map<String, Object> fields;
    /** Why a request was refused, for the log and the metrics only (never the body); null when no code path said. */
    public final Refusal refusal;

    public ApiException(ErrorCode code, String message) {
        this(code, message, 0, Map.of(), null);
    }

    private ApiException(ErrorCode code, String message, long retryAfterSeconds, Map<String, Object> fields, Refusal refusal) {
        super(message, null, false, false);
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
        this.fields = fields;
        this.refusal = refusal;
    }

    /** This error, with the reason the operator sees in the request log and the refusal counter. */
    public ApiException because(Refusal reason) {
        return new ApiException(code, getMessage(), retryAfterSeconds, fields, reason);
    }

    /** This error with one more field in its body ({@code message} stays first and is never replaced). */
    public ApiException with(String field, Object value) {
        if (field.equals("message")) throw new IllegalArgumentException("the message is the exception's own");
        Map<String, Object> more = new LinkedHashMap<>(fields);
        more.put(field, value);
        return new ApiException(code, getMessage(), retryAfterSeconds, java.util.Collections.unmodifiableMap(more), refusal);
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
        return new ApiException(ErrorCode.UNAVAILABLE, message, retryAfterSeconds, Map.of(), null);
    }

    /** The single message of every 401, whatever the reason, so a caller learns nothing from it. */
    public static ApiException unauthorized() {
        return new ApiException(ErrorCode.UNAUTHORIZED, UNAUTHORIZED_MESSAGE);
    }

    /** The same 401, with the reason only the log and the metrics see. */
    public static ApiException unauthorized(Refusal reason) {
        return new ApiException(ErrorCode.UNAUTHORIZED, UNAUTHORIZED_MESSAGE, 0, Map.of(), reason);
    }

    private static final String UNAUTHORIZED_MESSAGE = "missing, invalid or expired credential";
}
