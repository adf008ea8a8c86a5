package dev.ekvault.api;

/**
 * {@code GET /v1/workspace/{ws}/me}: what the caller may do in the workspace, already narrowed (the credential's
 * permission and scope intersected with the person's current role and scope). {@code role} and {@code scope} have the
 * members API's shapes, {@code permission} the tokens API's; {@code credentialKind} is the credentials table's kind, or
 * {@code session} for a dashboard sign-in.
 */
public record MyAccess(String userId, String role, String permission, TokenScope scope, boolean isOwner, String credentialKind) {}
