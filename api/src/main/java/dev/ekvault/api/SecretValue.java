package dev.ekvault.api;

/** One value of a secret: the shared value of an environment, or the caller's own personal override. */
public record SecretValue(String environmentId, String value, boolean isPersonal) {}
