package dev.ekvault.api;

/** {@code POST /v1/workspace/{ws}/tokens/cli}: a read-only token for one environment, valid eight hours. */
public record CliToken(String token) {}
