package dev.ekvault.api;

/**
 * A deleted secret that can still be restored: its name, when and by whom it was deleted, the environments whose
 * values a restore brings back, and when it is purged for good.
 */
public record DeletedSecret(String id, String name, String deletedAt, String deletedBy, java.util.List<String> environmentIds, String purgeAt) {}
