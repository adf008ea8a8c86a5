package dev.ekvault.server.wire;

/**
 * Why a request was refused, for the operator only: the request log line and the refusal counter carry it, the
 * answer never does (every 401 says the same thing). A fixed vocabulary, so it is safe as a metric label, and never a
 * part of the credential that was refused.
 */
public enum Refusal {
    /** No credential at all (no Authorization header, no session cookie). */
    MISSING("missing"),
    /** Not the shape of any credential we issue (a wrong scheme, a token of the wrong form, a JWT that does not parse). */
    MALFORMED("malformed"),
    /** A JWT whose signature or {@code jti} tag does not verify. */
    BAD_SIGNATURE("bad-signature"),
    /** A credential or JWT past its expiry. */
    EXPIRED("expired"),
    /** A credential revoked, rotated away, or minted through one that was. */
    REVOKED("revoked"),
    /** A well-formed credential this node does not know (never issued, or deleted). */
    UNKNOWN("unknown"),
    /** A live credential whose person is no longer a member of its workspace. */
    NOT_A_MEMBER("not-a-member"),
    /** A wrong password (sign-in, password change, invitation accept). */
    BAD_PASSWORD("bad-password"),
    /** A password check on an account locked after repeated failures. */
    LOCKED("locked"),
    /** A per-address, per-token or per-share limit answered 429. */
    RATE_LIMITED("rate-limited"),
    /** A cookie-authenticated change without the right {@code X-CSRF-Token}. */
    CSRF("csrf"),
    /** A valid credential without the right to do this (403). */
    FORBIDDEN("forbidden"),
    /** A refusal no code path named (a 401 from a route of its own). */
    UNSPECIFIED("unspecified");

    /** The label and log value. */
    public final String wire;

    Refusal(String wire) {
        this.wire = wire;
    }
}
