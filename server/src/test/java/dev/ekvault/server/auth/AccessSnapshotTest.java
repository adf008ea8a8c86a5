package dev.ekvault.server.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.testing.HeldTransaction;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Migrations;
import dev.ekvault.server.testing.TestClock;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.CredentialStore;
import dev.ekvault.server.access.TokenFormat;
import dev.ekvault.server.workspace.WorkspaceStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The snapshot's edges: what another node created after this one loaded, and what it removed. */
class AccessSnapshotTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void aCredentialLearnedFromTheFeedFindsItsNewMemberAndARemovalIsSeen(@TempDir Path dir) {
        try (Database db = new Database("jdbc:sqlite:" + dir.resolve("ek.db"), "", "", 2)) {
            Migrations.apply(db, new TestClock());
            WorkspaceStore workspaces = new WorkspaceStore(json);
            CredentialStore credentials = new CredentialStore(json);
            AccessSnapshot snapshot = new AccessSnapshot(db, credentials, workspaces, Duration.ofSeconds(1));
            snapshot.loadAll(); // empty: everything below is "created on another node" afterwards

            String token = TokenFormat.generate();
            createMemberWithToken(db, workspaces, credentials, token);
            snapshot.reloadCredential("c1"); // the feed delivered the credential's row, not (yet) the member's
            assertThat(snapshot.credentialByTokenHash(TokenFormat.hash(token)).id()).isEqualTo("c1");
            assertThat(snapshot.member("w1", "u1")).as("a member not yet in memory is looked up").isNotNull();

            db.write(c -> c.createStatement().executeUpdate("DELETE FROM member"));
            snapshot.reloadMember("w1", "u1");
            assertThat(snapshot.member("w1", "u1")).as("a removal delivered by the feed is seen").isNull();
        }
    }

    /** Writes user u1, workspace w1 with u1 a developer in it, and u1's credential c1 whose token is {@code token}. */
    private static void createMemberWithToken(Database db, WorkspaceStore workspaces, CredentialStore credentials, String token) {
        db.write(c -> {
            new dev.ekvault.server.workspace.UserStore().insert(c, "u1", "a@b.c", "a", null, 0);
            workspaces.insertWorkspace(c, new WorkspaceStore.WorkspaceRow("w1", "acme", "acme", "u1", 0));
            workspaces.insertMember(c, new WorkspaceStore.Member("w1", "u1", Role.DEVELOPER, Scope.ALL), 0);
            credentials.insert(c, new Credential("c1", "w1", Credential.Kind.STATIC, "t", "p", Permission.READ, Scope.ALL, false,
                    "u1", 0, null, null, null, null), TokenFormat.hash(token), null);
            return null;
        });
    }

    /**
     * A token this node does not hold, looked up while the database cannot answer (its one connection held elsewhere,
     * past the acquisition bound: the pool's timeout, as in an outage), is unknown — a 401 for the gateway, not a 500 —
     * and the failed look-up is not remembered as a miss: once the database answers, the same token is found.
     */
    @Test
    void anUnknownTokenIsUnknownWhileTheDatabaseCannotBeAskedAndFoundOnceItCan(@TempDir Path dir) throws Exception {
        Database.Bounds quick = new Database.Bounds(Duration.ofMillis(250), Duration.ofSeconds(1));
        try (Database db = new Database("jdbc:sqlite:" + dir.resolve("ek.db"), "", "", 1, quick)) {
            Migrations.apply(db, new TestClock());
            WorkspaceStore workspaces = new WorkspaceStore(json);
            CredentialStore credentials = new CredentialStore(json);
            AccessSnapshot snapshot = new AccessSnapshot(db, credentials, workspaces, Duration.ofMinutes(5));
            snapshot.loadAll();
            String token = TokenFormat.generate();
            createMemberWithToken(db, workspaces, credentials, token);

            try (var outage = HeldTransaction.read(db)) {
                assertThat(snapshot.credentialByTokenHash(TokenFormat.hash(token))).as("not found while the database cannot be asked").isNull();
                assertThat(snapshot.credentialByIdReadingMisses("c1")).isNull();
                assertThat(snapshot.member("w1", "u1")).isNull();
            }
            assertThat(snapshot.credentialByTokenHash(TokenFormat.hash(token))).as("no miss remembered: found once it can be asked")
                    .extracting(Credential::id).isEqualTo("c1");
            assertThat(snapshot.member("w1", "u1")).isNotNull();
        }
    }
}
