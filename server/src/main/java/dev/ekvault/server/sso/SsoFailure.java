package dev.ekvault.server.sso;

/**
 * Why a single sign-on step failed. The reason is for the log only (it never holds a code, token or secret); the
 * client gets the one fixed message of the {@link Kind}, so a failure teaches an attacker nothing.
 */
final class SsoFailure extends RuntimeException {
    enum Kind {
        /** The browser's half of the flow is wrong: state cookie missing, forged or expired, state or parameters off. */
        BAD_REQUEST,
        /** The provider did not vouch for the person: code refused, ID token invalid, email not verified. */
        UNAUTHORIZED,
        /** A verified person this server does not let in. */
        FORBIDDEN,
        /** The provider cannot be reached or its documents are unusable: not the person's fault. */
        UNAVAILABLE
    }

    final Kind kind;

    SsoFailure(Kind kind, String reason) {
        super(reason, null, false, false);
        this.kind = kind;
    }

    static SsoFailure badRequest(String reason) {
        return new SsoFailure(Kind.BAD_REQUEST, reason);
    }

    static SsoFailure unauthorized(String reason) {
        return new SsoFailure(Kind.UNAUTHORIZED, reason);
    }

    static SsoFailure forbidden(String reason) {
        return new SsoFailure(Kind.FORBIDDEN, reason);
    }

    static SsoFailure unavailable(String reason) {
        return new SsoFailure(Kind.UNAVAILABLE, reason);
    }
}
