package dev.ekvault.server.access;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a member or credential may act: the whole workspace, or a set of teams, projects and environments that
 * cascades down (a team includes its projects and their environments). Every entry carries its ancestors, so
 * every question is answered in memory and two scopes intersect exactly ({@link #intersect}).
 *
 * <p>"Covers" means the whole node is inside the scope; "sees" means the node is inside or is an ancestor of
 * something inside (a scope of one environment sees its project and team, so it can navigate to it).
 */
public final class Scope {
    /** A project entry: the project and its team. */
    public record ProjectRef(String id, String teamId) {}

    /** An environment entry: the environment, its project and its team. */
    public record EnvironmentRef(String id, String projectId, String teamId) {}

    public static final Scope ALL = new Scope(true, Set.of(), Map.of(), Map.of());

    private final boolean all;
    private final Set<String> teams;
    private final Map<String, ProjectRef> projects;
    private final Map<String, EnvironmentRef> environments;

    private Scope(boolean all, Set<String> teams, Map<String, ProjectRef> projects, Map<String, EnvironmentRef> environments) {
        this.all = all;
        this.teams = teams;
        this.projects = projects;
        this.environments = environments;
    }

    public static Scope of(Collection<String> teams, Collection<ProjectRef> projects, Collection<EnvironmentRef> environments) {
        Map<String, ProjectRef> p = new LinkedHashMap<>();
        for (ProjectRef ref : projects) p.put(ref.id, ref);
        Map<String, EnvironmentRef> e = new LinkedHashMap<>();
        for (EnvironmentRef ref : environments) e.put(ref.id, ref);
        return new Scope(false, Set.copyOf(new LinkedHashSet<>(teams)), Map.copyOf(p), Map.copyOf(e));
    }

    public boolean isAll() {
        return all;
    }

    /** The scope as the change journal records it: {@code all=true}, or the ids of its teams, projects and environments. */
    public Map<String, Object> describe() {
        if (all) return Map.of("all", true);
        Map<String, Object> described = new LinkedHashMap<>();
        described.put("teams", List.copyOf(new java.util.TreeSet<>(teams)));
        described.put("projects", List.copyOf(new java.util.TreeSet<>(projects.keySet())));
        described.put("environments", List.copyOf(new java.util.TreeSet<>(environments.keySet())));
        return described;
    }

    public boolean coversTeam(String teamId) {
        return all || teams.contains(teamId);
    }

    public boolean coversProject(String projectId, String teamId) {
        return coversTeam(teamId) || projects.containsKey(projectId);
    }

    public boolean coversEnvironment(String environmentId, String projectId, String teamId) {
        return coversProject(projectId, teamId) || environments.containsKey(environmentId);
    }

    public boolean seesTeam(String teamId) {
        if (coversTeam(teamId)) return true;
        for (ProjectRef p : projects.values()) if (p.teamId.equals(teamId)) return true;
        for (EnvironmentRef e : environments.values()) if (e.teamId.equals(teamId)) return true;
        return false;
    }

    public boolean seesProject(String projectId, String teamId) {
        if (coversProject(projectId, teamId)) return true;
        for (EnvironmentRef e : environments.values()) if (e.projectId.equals(projectId)) return true;
        return false;
    }

    /** True when this scope lies entirely inside {@code outer}. */
    public boolean within(Scope outer) {
        if (outer.all) return true;
        if (all) return false;
        for (String t : teams) if (!outer.coversTeam(t)) return false;
        for (ProjectRef p : projects.values()) if (!outer.coversProject(p.id, p.teamId)) return false;
        for (EnvironmentRef e : environments.values()) if (!outer.coversEnvironment(e.id, e.projectId, e.teamId)) return false;
        return true;
    }

    /** Exactly the nodes covered by both scopes. */
    public Scope intersect(Scope other) {
        if (all) return other;
        if (other.all) return this;
        Set<String> t = new LinkedHashSet<>();
        for (String team : teams) if (other.teams.contains(team)) t.add(team);
        Map<String, ProjectRef> p = new LinkedHashMap<>();
        for (ProjectRef ref : projects.values()) if (other.coversProject(ref.id, ref.teamId)) p.put(ref.id, ref);
        for (ProjectRef ref : other.projects.values()) if (coversProject(ref.id, ref.teamId)) p.put(ref.id, ref);
        Map<String, EnvironmentRef> e = new LinkedHashMap<>();
        for (EnvironmentRef ref : environments.values()) if (other.coversEnvironment(ref.id, ref.projectId, ref.teamId)) e.put(ref.id, ref);
        for (EnvironmentRef ref : other.environments.values()) if (coversEnvironment(ref.id, ref.projectId, ref.teamId)) e.put(ref.id, ref);
        return new Scope(false, Set.copyOf(t), Map.copyOf(p), Map.copyOf(e));
    }

    public Set<String> teamIds() {
        return teams;
    }

    public Collection<ProjectRef> projectRefs() {
        return projects.values();
    }

    public Collection<EnvironmentRef> environmentRefs() {
        return environments.values();
    }

    /** The stored form, ancestors included: {@code {"all":false,"teams":[…],"projects":[{id,teamId}],…}}. */
    public String toStorage(ObjectMapper json) {
        ObjectNode root = json.createObjectNode();
        root.put("all", all);
        ArrayNode t = root.putArray("teams");
        teams.stream().sorted().forEach(t::add);
        ArrayNode p = root.putArray("projects");
        for (ProjectRef ref : projects.values()) p.addObject().put("id", ref.id).put("teamId", ref.teamId);
        ArrayNode e = root.putArray("environments");
        for (EnvironmentRef ref : environments.values()) {
            e.addObject().put("id", ref.id).put("projectId", ref.projectId).put("teamId", ref.teamId);
        }
        return root.toString();
    }

    /** What {@link #toStorage} writes for {@link #ALL}: most credentials' scope, read at every start without parsing. */
    private static final String ALL_STORED = "{\"all\":true,\"teams\":[],\"projects\":[],\"environments\":[]}";

    public static Scope fromStorage(ObjectMapper json, String stored) {
        if (ALL_STORED.equals(stored)) return ALL;
        try {
            JsonNode root = json.readTree(stored);
            if (root.path("all").asBoolean(false)) return ALL;
            List<String> t = new java.util.ArrayList<>();
            root.path("teams").forEach(n -> t.add(n.asText()));
            List<ProjectRef> p = new java.util.ArrayList<>();
            root.path("projects").forEach(n -> p.add(new ProjectRef(n.path("id").asText(), n.path("teamId").asText())));
            List<EnvironmentRef> e = new java.util.ArrayList<>();
            root.path("environments").forEach(n -> e.add(
                    new EnvironmentRef(n.path("id").asText(), n.path("projectId").asText(), n.path("teamId").asText())));
            return of(t, p, e);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored scope is not valid JSON", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Scope s && all == s.all && teams.equals(s.teams) && projects.equals(s.projects)
                && environments.equals(s.environments);
    }

    @Override
    public int hashCode() {
        return Boolean.hashCode(all) * 31 + teams.hashCode() + projects.hashCode() + environments.hashCode();
    }

    @Override
    public String toString() {
        return all ? "Scope[all]" : "Scope[teams=" + teams + ", projects=" + projects.keySet() + ", environments=" + environments.keySet() + "]";
    }
}
