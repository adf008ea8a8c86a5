package dev.ekvault.server.jwt;

/**
 * The one way {@link JwtVerifier#verify} says no. The message names the rule that failed and is meant for the log
 * only: callers answer every rejection alike, so a client learns nothing about which check it tripped. No stack
 * trace is captured, which keeps a flood of bad tokens cheap.
 */
public final class InvalidJwtException extends RuntimeException {
    public InvalidJwtException(String message) {
        super(message, null, false, false);
    }
}
