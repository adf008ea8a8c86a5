package dev.ekvault.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * {@code /v1/workspace/{ws}/members} item: a member (status {@code account_created}) or an invitation
 * ({@code invite_sent}, {@code declined}, {@code expired}). Some keys belong to one kind only and are absent (not null)
 * otherwise: {@code name} on members; {@code isOwner} on members in the list (not in the answer to an update);
 * {@code expiresAt} on invitations; {@code inviteUrl} only in the answer to the invitation itself.
 */
public record Member(String id, String email, String role, TokenScope scope, String status, String createdAt,
                     @JsonInclude(JsonInclude.Include.NON_NULL) String name,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Boolean isOwner,
                     @JsonInclude(JsonInclude.Include.NON_NULL) String expiresAt,
                     @JsonInclude(JsonInclude.Include.NON_NULL) String inviteUrl) {}
