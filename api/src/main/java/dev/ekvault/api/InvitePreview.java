package dev.ekvault.api;

/**
 * {@code GET /v1/invites/{token}} (public; the token is the credential): what the invitation page shows before the
 * person accepts. {@code status}: {@code pending}, {@code accepted}, {@code declined} or {@code expired} (a withdrawn
 * invitation is gone: 404); {@code accountExists}: sign in to accept rather than choose a password.
 */
public record InvitePreview(String workspaceName, String email, String role, String status, String expiresAt, boolean accountExists) {}
