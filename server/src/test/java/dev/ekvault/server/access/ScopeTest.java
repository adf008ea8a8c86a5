package dev.ekvault.server.access;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ScopeTest {
    // team T1 holds projects P1 (environments E1, E2) and P2 (E3); team T2 holds P3 (E4)
    static final Scope.ProjectRef P1 = new Scope.ProjectRef("P1", "T1");
    static final Scope.ProjectRef P2 = new Scope.ProjectRef("P2", "T1");
    static final Scope.EnvironmentRef E1 = new Scope.EnvironmentRef("E1", "P1", "T1");
    static final Scope.EnvironmentRef E3 = new Scope.EnvironmentRef("E3", "P2", "T1");

    @Test
    void aTeamCascadesToItsProjectsAndEnvironments() {
        Scope team = Scope.of(List.of("T1"), List.of(), List.of());
        assertThat(team.coversEnvironment("E3", "P2", "T1")).isTrue();
        assertThat(team.coversEnvironment("E4", "P3", "T2")).isFalse();
    }

    @Test
    void anEnvironmentLetsItsProjectAndTeamBeSeenButNotCovered() {
        Scope env = Scope.of(List.of(), List.of(), List.of(E1));
        assertThat(env.seesProject("P1", "T1")).isTrue();
        assertThat(env.coversProject("P1", "T1")).isFalse();
        assertThat(env.seesTeam("T1")).isTrue();
        assertThat(env.seesProject("P2", "T1")).isFalse();
        assertThat(env.coversEnvironment("E2", "P1", "T1")).isFalse();
    }

    @Test
    void intersectionKeepsExactlyWhatBothCover() {
        Scope team = Scope.of(List.of("T1"), List.of(), List.of());
        Scope project = Scope.of(List.of(), List.of(P1), List.of());
        Scope env3 = Scope.of(List.of(), List.of(), List.of(E3));
        assertThat(team.intersect(project)).isEqualTo(project);
        assertThat(project.intersect(team)).isEqualTo(project);
        Scope none = project.intersect(env3);
        assertThat(none.coversEnvironment("E1", "P1", "T1")).isFalse();
        assertThat(none.coversEnvironment("E3", "P2", "T1")).isFalse();
        assertThat(none.seesProject("P1", "T1")).isFalse();
        assertThat(Scope.ALL.intersect(env3)).isEqualTo(env3);
        assertThat(env3.intersect(Scope.ALL)).isEqualTo(env3);
    }

    @Test
    void withinComparesAgainstTheCascade() {
        Scope team = Scope.of(List.of("T1"), List.of(), List.of());
        assertThat(Scope.of(List.of(), List.of(P2), List.of(E1)).within(team)).isTrue();
        assertThat(team.within(Scope.of(List.of(), List.of(P1, P2), List.of()))).isFalse();
        assertThat(Scope.ALL.within(team)).isFalse();
        assertThat(team.within(Scope.ALL)).isTrue();
    }

    @Test
    void theStoredFormRoundTrips() {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        Scope scope = Scope.of(List.of("T2"), List.of(P1), List.of(E3));
        assertThat(Scope.fromStorage(json, scope.toStorage(json))).isEqualTo(scope);
        assertThat(Scope.fromStorage(json, Scope.ALL.toStorage(json))).isSameAs(Scope.ALL);
        // the form read back without parsing (most credentials have it)
        assertThat(Scope.ALL.toStorage(json)).isEqualTo("{\"all\":true,\"teams\":[],\"projects\":[],\"environments\":[]}");
    }
}
