package dev.ekvault.api;

/** An environment of a project. Environments are always addressed by id. */
public record Environment(String id, String name, boolean hasPersonalOverrides) {}
