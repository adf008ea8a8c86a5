package dev.ekvault.api;

/** A project as listed inside its team, and as answered by project creation. */
public record Project(String id, String name, String slug) {}
