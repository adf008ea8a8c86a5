package dev.ekvault.api;

/** Every error the server answers with, and its HTTP status. The wire body is always {@code {"message"}}. */
public enum ErrorCode {
    BAD_REQUEST(400),
    UNAUTHORIZED(401),
    FORBIDDEN(403),
    NOT_FOUND(404),
    METHOD_NOT_ALLOWED(405),
    CONFLICT(409),
    PAYLOAD_TOO_LARGE(413),
    UNSUPPORTED_MEDIA_TYPE(415),
    TOO_MANY_REQUESTS(429),
    INTERNAL(500),
    UNAVAILABLE(503),
    /** The database's disk is full: changes are refused until space is freed (reads still answer). */
    INSUFFICIENT_STORAGE(507);

    public final int status;

    ErrorCode(int status) {
        this.status = status;
    }
}
