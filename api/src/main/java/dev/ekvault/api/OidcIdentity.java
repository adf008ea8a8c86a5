package dev.ekvault.api;

import java.util.Map;

/**
 * {@code /v1/workspace/{ws}/oidc} item: a Kubernetes workload identity. A service-account token whose {@code iss} is
 * {@code issuer}, whose {@code aud} holds {@code audience} and whose {@code sub} matches {@code subject}
 * ({@code system:serviceaccount:<namespace>:<name>}, or {@code …:<namespace>:*} for every service account of the
 * namespace) is exchanged for a JWT with this identity's permission and scope. {@code jwks} is the public key set
 * pasted in for an issuer the server cannot reach, or null when the keys come from OIDC discovery.
 */
public record OidcIdentity(String id, String name, String issuer, String audience, String subject, String permission,
                           TokenScope scope, Map<String, Object> jwks, String createdById, String createdAt,
                           String updatedAt, String lastUsedAt) {}
