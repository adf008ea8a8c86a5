package dev.ekvault.server.token;

import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Scope;

/** A stored credential: what it may do and where, who made it, and its life. Never holds the raw token. */
public record Credential(String id, String workspaceId, Kind kind, String name, String prefix, Permission permission,
                         Scope scope, boolean isOwner, String createdBy, long createdAt, Long expiresAt,
                         Long lastUsedAt, Long revokedAt) {

    public enum Kind {
        /** A long-lived API token made by a person. */
        STATIC("static"),
        /** A short token the CLI makes: read-only, one environment, eight hours; it acts as its person. */
        CLI("cli"),
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
            };
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
