package dev.ekvault.server.jwt;

import dev.ekvault.server.wire.Refusal;

/**
 * The one way {@link JwtVerifier#verify} says no. The message names the rule that failed and is meant for the log
 * only: callers answer every rejection alike, so a client learns nothing about which check it tripped. No stack
 * trace is captured, which keeps a flood of bad tokens cheap.
 */
public final class InvalidJwtException extends RuntimeException {
    /** Which kind of rule failed, for the request log and the refusal counter (never the answer). */
    public final Refusal refusal;

    public InvalidJwtException(String message) {
        this(message, Refusal.MALFORMED);
    }

    public InvalidJwtException(String message, Refusal refusal) {
        super(message, null, false, false);
        this.refusal = refusal;
    }
}
