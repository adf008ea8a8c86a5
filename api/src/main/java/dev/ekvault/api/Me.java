package dev.ekvault.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * {@code GET /v1/me}: the person behind the credential. {@code csrfToken} is there (not null: absent otherwise) only
 * for the dashboard's cookie session, which learns the token to send as {@code X-CSRF-Token} here.
 */
public record Me(String id, String email, String name, @JsonInclude(JsonInclude.Include.NON_NULL) String csrfToken) {}
