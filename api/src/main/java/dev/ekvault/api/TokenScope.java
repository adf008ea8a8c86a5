package dev.ekvault.api;

import java.util.List;

/** Where a credential may act: the whole workspace, or these teams, projects and environments (cascading down). */
public record TokenScope(boolean all, List<String> teams, List<String> projects, List<String> environments) {}
