package dev.ekvault.server.workspace;

import dev.ekvault.server.access.Caller;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Scope;
import dev.ekvault.api.ErrorCode;
import dev.ekvault.server.workspace.EnvironmentStore.EnvironmentRow;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.workspace.ProjectStore.ProjectRow;
import dev.ekvault.server.testing.TestTree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The wire scope → {@link Scope}: every id checked against the workspace and the caller's view (400 naming the entry),
 * ancestors filled in from the database, stored as asked, entries under a named parent dropped.
 */
class ScopeResolverTest {
    @TempDir
    Path folder;
    private TestTree tree;
    private ScopeResolver resolver;
    private String workspace;
    private String teamOne;
    private String teamTwo;
    private ProjectRow web;
    private ProjectRow api;
    private ProjectRow billing;
    private EnvironmentRow webDev;
    private EnvironmentRow webProd;
    private EnvironmentRow apiDev;
    private EnvironmentRow billingProd;
    /** The same shapes in another workspace. */
    private String foreignTeam;
    private ProjectRow foreignProject;
    private EnvironmentRow foreignEnvironment;

    @BeforeEach
    void tree() {
        tree = new TestTree(folder);
        resolver = new ScopeResolver(tree.teams, tree.projects, tree.environments);
        workspace = tree.workspace("acme");
        teamOne = tree.team(workspace, "one");
        teamTwo = tree.team(workspace, "two");
        web = tree.project(workspace, teamOne, "web");
        api = tree.project(workspace, teamOne, "api");
        billing = tree.project(workspace, teamTwo, "billing");
        webDev = tree.environment(web, "dev");
        webProd = tree.environment(web, "prod");
        apiDev = tree.environment(api, "dev");
        billingProd = tree.environment(billing, "prod");
        String other = tree.workspace("other");
        foreignTeam = tree.team(other, "one");
        foreignProject = tree.project(other, foreignTeam, "web");
        foreignEnvironment = tree.environment(foreignProject, "dev");
    }

    @AfterEach
    void close() {
        tree.close();
    }

    private Scope resolve(Caller caller, ScopeResolver.Request request) {
        return tree.database.read(c -> resolver.resolve(c, caller, workspace, request));
    }

    private Scope resolveAsAdmin(List<String> teams, List<String> projects, List<String> environments) {
        return resolve(admin(), new ScopeResolver.Request(false, teams, projects, environments));
    }

    private Caller admin() {
        return tree.caller(workspace, Permission.READ_WRITE, Scope.ALL);
    }

    private void assertRefused(Caller caller, ScopeResolver.Request request, String message) {
        assertThatThrownBy(() -> resolve(caller, request)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.code).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(e.getMessage()).isEqualTo(message);
        });
    }

    @Test
    void noScopeOrAllIsTheWholeWorkspaceWhateverElseIsListed() {
        assertThat(resolve(admin(), null)).isSameAs(Scope.ALL);
        assertThat(resolve(admin(), new ScopeResolver.Request(true, List.of("not-an-id"), List.of(), List.of()))).isSameAs(Scope.ALL);
    }

    @Test
    void anEmptyScopeIsRefused() {
        assertRefused(admin(), new ScopeResolver.Request(false, List.of(), List.of(), List.of()),
                "field 'scope' must be all, or name at least one team, project or environment");
    }

    @Test
    void idsOfAnotherWorkspaceOrOfNothingAreRefusedNamingTheEntryAlike() {
        String unknown = "00000000-0000-4000-8000-000000000000";
        for (String bad : List.of(foreignTeam, unknown)) {
            assertRefused(admin(), new ScopeResolver.Request(false, List.of(teamOne, bad), List.of(), List.of()),
                    "field 'scope.teams[1]' names no team you can see");
        }
        for (String bad : List.of(foreignProject.id(), unknown)) {
            assertRefused(admin(), new ScopeResolver.Request(false, List.of(), List.of(web.id(), api.id(), bad), List.of()),
                    "field 'scope.projects[2]' names no project you can see");
        }
        for (String bad : List.of(foreignEnvironment.id(), unknown)) {
            assertRefused(admin(), new ScopeResolver.Request(false, List.of(), List.of(), List.of(bad)),
                    "field 'scope.environments[0]' names no environment you can see");
        }
    }

    @Test
    void aProjectIsNamedByIdNotBySlug() {
        assertRefused(admin(), new ScopeResolver.Request(false, List.of(), List.of("web"), List.of()),
                "field 'scope.projects[0]' names no project you can see");
    }

    @Test
    void idsOutsideTheCallersViewAreRefusedLikeUnknownOnes() {
        Caller webOnly = tree.caller(workspace, Permission.READ_WRITE, Scope.of(List.of(), List.of(new Scope.ProjectRef(web.id(), teamOne)), List.of()));
        assertRefused(webOnly, new ScopeResolver.Request(false, List.of(teamTwo), List.of(), List.of()),
                "field 'scope.teams[0]' names no team you can see");
        assertRefused(webOnly, new ScopeResolver.Request(false, List.of(), List.of(api.id()), List.of()),
                "field 'scope.projects[0]' names no project you can see");
        assertRefused(webOnly, new ScopeResolver.Request(false, List.of(), List.of(), List.of(webDev.id(), apiDev.id())),
                "field 'scope.environments[1]' names no environment you can see");
        // inside its view: its project and environments
        assertThat(resolve(webOnly, new ScopeResolver.Request(false, List.of(), List.of(web.id()), List.of())).coversProject(web.id(), teamOne)).isTrue();
    }

    @Test
    void anEnvironmentMustBeCoveredButATeamOrProjectOnlySeenPassesForTheCallerToRefuseAsTooWide() {
        Caller oneEnvironment = tree.caller(workspace, Permission.READ, Scope.of(List.of(), List.of(),
                List.of(new Scope.EnvironmentRef(webDev.id(), web.id(), teamOne))));
        assertRefused(oneEnvironment, new ScopeResolver.Request(false, List.of(), List.of(), List.of(webProd.id())),
                "field 'scope.environments[0]' names no environment you can see");
        // the team and project above its environment are visible (navigable): resolving them is not a 400; that they
        // reach beyond the caller is the 403 its callers (tokens, members, identities) give through Scope.within
        Scope wider = resolve(oneEnvironment, new ScopeResolver.Request(false, List.of(teamOne), List.of(web.id()), List.of()));
        assertThat(wider.teamIds()).containsExactly(teamOne);
        assertThat(wider.within(oneEnvironment.scope())).isFalse();
    }

    @Test
    void entriesAreGivenTheirAncestorsFromTheDatabase() {
        Scope scope = resolveAsAdmin(List.of(), List.of(billing.id()), List.of(webDev.id()));
        assertThat(scope.projectRefs()).containsExactly(new Scope.ProjectRef(billing.id(), teamTwo));
        assertThat(scope.environmentRefs()).containsExactly(new Scope.EnvironmentRef(webDev.id(), web.id(), teamOne));
        assertThat(scope.seesTeam(teamOne)).as("an environment's team is navigable").isTrue();
        assertThat(scope.seesProject(web.id(), teamOne)).isTrue();
        assertThat(scope.coversProject(web.id(), teamOne)).isFalse();
    }

    @Test
    void namingEveryEnvironmentOfAProjectIsStoredAsThoseEnvironmentsNotTheProject() {
        Scope scope = resolveAsAdmin(List.of(), List.of(), List.of(webDev.id(), webProd.id()));
        assertThat(scope.projectRefs()).isEmpty();
        assertThat(scope.environmentRefs()).extracting(Scope.EnvironmentRef::id).containsExactlyInAnyOrder(webDev.id(), webProd.id());
        assertThat(scope.coversProject(web.id(), teamOne)).isFalse();
        EnvironmentRow later = tree.environment(web, "staging");
        assertThat(scope.coversEnvironment(later.id(), web.id(), teamOne)).as("an environment created later is not included").isFalse();
    }

    @Test
    void entriesCoveredByANamedParentAreDroppedAndWhatIsReachedStaysTheSame() {
        Scope scope = resolveAsAdmin(List.of(teamOne), List.of(web.id(), billing.id()),
                List.of(webDev.id(), apiDev.id(), billingProd.id()));
        assertThat(scope.teamIds()).containsExactly(teamOne);
        assertThat(scope.projectRefs()).as("web lies in team one").containsExactly(new Scope.ProjectRef(billing.id(), teamTwo));
        assertThat(scope.environmentRefs()).as("each lies in a named team or project").isEmpty();
        for (EnvironmentRow env : List.of(webDev, webProd, apiDev, billingProd)) {
            assertThat(scope.coversEnvironment(env.id(), env.projectId(), env.teamId())).as(env.name()).isTrue();
        }
        assertThat(scope).isEqualTo(resolveAsAdmin(List.of(teamOne), List.of(billing.id()), List.of()));
    }

    @Test
    void anEnvironmentKeptBesideANamedProjectOfAnotherTeamStaysAnEnvironment() {
        Scope scope = resolveAsAdmin(List.of(), List.of(billing.id()), List.of(webDev.id(), billingProd.id()));
        assertThat(scope.environmentRefs()).extracting(Scope.EnvironmentRef::id).containsExactly(webDev.id());
        assertThat(scope.projectRefs()).extracting(Scope.ProjectRef::id).containsExactly(billing.id());
    }

    @Test
    void repeatedIdsCountOnce() {
        Scope scope = resolveAsAdmin(List.of(teamTwo, teamTwo), List.of(api.id(), api.id()), List.of(webDev.id(), webDev.id()));
        assertThat(scope.teamIds()).containsExactly(teamTwo);
        assertThat(scope.projectRefs()).hasSize(1);
        assertThat(scope.environmentRefs()).hasSize(1);
    }
}
