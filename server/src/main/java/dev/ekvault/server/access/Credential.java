package dev.ekvault.server.access;


/**
 * A stored credential: what it may do and where, who made it, and its life. Never holds the raw token.
 * {@code parentId} names the credential it was minted through when its life is bound to that one (it expires no
 * later and is revoked with it, see {@link CredentialAuthority}); null for a root: one a person made directly.
 */
public record Credential(String id, String workspaceId, Kind kind, String name, String prefix, Permission permission,
                         Scope scope, boolean isOwner, String createdBy, long createdAt, Long expiresAt,
                         Long lastUsedAt, Long revokedAt, String parentId) {

    public enum Kind {
        /** A long-lived API token made by a person. */
        STATIC("static"),
        /** A short token the CLI makes: read-only, one environment, eight hours; it acts as its person. */
        CLI("cli"),
        /** A person signed in to the dashboard (an HttpOnly cookie). */
        SESSION("session"),
        /** A person signed in with {@code ek login} (the device-code flow): eight hours. */
        DEVICE_LOGIN("cli-login"),
        /**
         * A Kubernetes workload identity: no token of its own; a service-account token from its cluster is exchanged
         * for a JWT (see {@code oidc/}). Sees shared values only, like a static token.
         */
        OIDC("oidc");

        /** The {@code type} of a token in the tokens list. */
        public final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        /** The {@code kind} of a credential in the credentials table. */
        public String tableKind() {
            return switch (this) {
                case STATIC -> "api-token";
                case CLI -> "cli-token";
                case OIDC -> "kubernetes";
                case SESSION, DEVICE_LOGIN -> "sign-in"; // not listed in the credentials table
            };
        }

        /** Credentials that are a person at a keyboard: they see that person's personal overrides. */
        public boolean actsAsPerson() {
            return this == CLI || this == SESSION || this == DEVICE_LOGIN;
        }

        /** Sign-ins, as opposed to the machine credentials listed in the tokens and credentials tables. */
        public boolean isSignIn() {
            return this == SESSION || this == DEVICE_LOGIN;
        }

        public static Kind fromWire(String text) {
            for (Kind k : values()) if (k.wire.equals(text)) return k;
            throw new IllegalStateException("unknown credential kind " + text);
        }
    }

    public boolean isLiveAt(long nowMillis) {
        return revokedAt == null && (expiresAt == null || nowMillis < expiresAt);
    }
}
