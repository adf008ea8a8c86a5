package dev.ekvault.api;

import java.util.List;

/** {@code GET /v1/workspace/{ws}/project} item: projects grouped by their team. */
public record TeamProjects(String id, String name, List<Project> projects) {}
