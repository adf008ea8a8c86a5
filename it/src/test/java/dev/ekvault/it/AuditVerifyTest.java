package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ek-server audit verify} on the jar, against the database file a server wrote: a clean chain verifies (exit
 * 0, one JSON line per chain); a field edited in the file with a SQLite client — the operator's own tool, triggers
 * dropped first — is found at its entry (exit 9); an unknown workspace is exit 8. Against a head kept outside the
 * database ({@code --seq}, {@code --hash}) a chain must also reach it.
 */
class AuditVerifyTest {
    @TempDir
    Path work;

    @Test
    void aCleanChainVerifiesAndAnEditInTheDatabaseFileIsFoundAtItsEntry() throws Exception {
        Map<String, String> env = Map.of("EK_DATA_DIR", work.resolve("data").toString());
        EkJar.Result init = EkJar.init(work, env);
        assertThat(init.exitCode()).as(init.stderr()).isZero();
        String owner = init.stdoutLines().get(0);
        String[] head; // the chain's newest entry: its sequence number and hash
        try (EkJar.Server server = EkJar.serve(work, env)) {
            EkJar.Api api = new EkJar.Api(server, owner);
            for (int i = 0; i < 3; i++) {
                assertThat(api.post("/v1/workspace/acme/tokens", "{\"name\":\"t" + i + "\",\"permission\":\"read\",\"expiresIn\":\"30d\"}")
                        .status()).isEqualTo(201);
            }
            // init's own writes are entries too, by the operator at the machine
            JsonNode page = EkJar.JSON.readTree(api.get("/v1/workspace/acme/audit?limit=200").body());
            List<String> kinds = new ArrayList<>();
            page.get("entries").forEach(e -> kinds.add(e.get("credentialKind").asText() + " " + e.get("action").asText() + " "
                    + e.get("entityType").asText() + " " + e.get("requestId").asText()));
            assertThat(kinds).contains("operator create workspace init", "operator create credential init");
            assertThat(kinds).anyMatch(k -> k.startsWith("static create credential "));
            // verify beside a running server too: it reads, it does not need the server to stop
            EkJar.Result running = EkJar.run(work, env, "audit", "verify", "--workspace", "acme");
            assertThat(running.exitCode()).as(running.stderr()).isZero();
            JsonNode newest = EkJar.JSON.readTree(api.get("/v1/workspace/acme/audit?limit=1").body()).get("entries").get(0);
            head = new String[] {newest.get("seq").asText(), newest.get("hash").asText()};
        }
        // against a head kept outside the database (the log's "audit":"head" line): it holds; one further on was never reached
        EkJar.Result holds = EkJar.run(work, env, "audit", "verify", "--workspace", "acme", "--seq", head[0], "--hash", head[1]);
        assertThat(holds.exitCode()).as(holds.stderr()).isZero();
        assertThat(EkJar.jsonObject(holds.stdoutLines().get(0)).get("checked").asText()).isEqualTo(head[0]);
        String further = Long.toString(Long.parseLong(head[0]) + 1);
        EkJar.Result cut = EkJar.run(work, env, "audit", "verify", "--workspace", "acme", "--seq", further, "--hash", head[1]);
        assertThat(cut.exitCode()).as(cut.stderr()).isEqualTo(9);
        JsonNode ends = EkJar.jsonObject(cut.stdoutLines().get(0));
        assertThat(ends.get("firstBadSeq").asText()).isEqualTo(further);
        assertThat(ends.get("problem").asText()).contains("before the notarised head " + further);
        EkJar.Result noWorkspace = EkJar.run(work, env, "audit", "verify", "--seq", head[0], "--hash", head[1]);
        assertThat(noWorkspace.exitCode()).isEqualTo(2);
        assertThat(noWorkspace.stderr()).contains("--workspace");
        EkJar.Result noHash = EkJar.run(work, env, "audit", "verify", "--workspace", "acme", "--seq", head[0]);
        assertThat(noHash.exitCode()).isEqualTo(2);
        assertThat(noHash.stderr()).contains("--hash must be");
        EkJar.Result clean = EkJar.run(work, env, "audit", "verify");
        assertThat(clean.exitCode()).as(clean.stderr()).isZero();
        assertThat(clean.stdoutLines()).isNotEmpty();
        for (String line : clean.stdoutLines()) {
            JsonNode chain = EkJar.jsonObject(line);
            assertThat(chain.get("intact").asBoolean()).as(line).isTrue();
            assertThat(chain.get("checked").asLong()).isPositive();
        }

        // the entry numbered 2 is a line of the stored group that holds it (init's first write): edit that line alone
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + work.resolve("data/ek.db")); Statement s = c.createStatement()) {
            s.execute("DROP TRIGGER audit_block_no_update");
            String acme = "(SELECT id FROM workspace WHERE slug = 'acme')";
            long first;
            String text;
            try (var row = s.executeQuery("SELECT seq, entries FROM audit_block WHERE seq <= 2 AND last_seq >= 2 AND workspace_id = " + acme)) {
                assertThat(row.next()).isTrue();
                first = row.getLong(1);
                text = row.getString(2);
            }
            List<String> lines = new ArrayList<>(List.of(text.split("\n")));
            int at = (int) (2 - first);
            // stored compactly (it follows the group's first entry): it names only what differs from the entry before, so the
            // client address it shares with that entry is written into it
            assertThat(lines.get(at)).startsWith("{\"seq\":2,").doesNotContain("\"clientAddress\"");
            assertThat(lines.get(at - 1)).contains("\"clientAddress\":\"local user ");
            lines.set(at, lines.get(at).replace("\"hash\":\"", "\"clientAddress\":\"10.6.6.6\",\"hash\":\""));
            try (var update = c.prepareStatement("UPDATE audit_block SET entries = ? WHERE seq = ? AND workspace_id = " + acme)) {
                update.setString(1, String.join("\n", lines));
                update.setLong(2, first);
                assertThat(update.executeUpdate()).isEqualTo(1);
            }
        }
        EkJar.Result broken = EkJar.run(work, env, "audit", "verify", "--workspace", "acme");
        assertThat(broken.exitCode()).as(broken.stderr()).isEqualTo(9);
        JsonNode chain = EkJar.jsonObject(broken.stdoutLines().get(0));
        assertThat(chain.get("intact").asBoolean()).isFalse();
        assertThat(chain.get("firstBadSeq").asLong()).isEqualTo(2);
        assertThat(chain.get("checked").asLong()).isEqualTo(1);

        EkJar.Result unknown = EkJar.run(work, env, "audit", "verify", "--workspace", "nope");
        assertThat(unknown.exitCode()).as(unknown.stderr()).isEqualTo(8);
        EkJar.Result noSubcommand = EkJar.run(work, env, "audit");
        assertThat(noSubcommand.exitCode()).isEqualTo(2);
    }

    /** Two server processes on one PostgreSQL, written to at once: one chain, no fork, no gap. */
    @Test
    void twoProcessesWritingAtOnceKeepOneChain() throws Exception {
        String url = TestPostgres.freshDatabase();
        Map<String, String> env = Map.of("EK_DATABASE_URL", url, "EK_MASTER_KEY", EkJar.newMasterKey());
        EkJar.Result init = EkJar.init(work, env);
        assertThat(init.exitCode()).as(init.stderr()).isZero();
        String owner = init.stdoutLines().get(0);
        try (EkJar.Server a = EkJar.serve(work, env); EkJar.Server b = EkJar.serve(work, env)) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<Integer>> writes = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                EkJar.Api api = new EkJar.Api(i % 2 == 0 ? a : b, owner);
                String body = "{\"name\":\"n" + i + "\",\"permission\":\"read\",\"expiresIn\":\"30d\"}";
                writes.add(pool.submit(() -> api.post("/v1/workspace/acme/tokens", body).status()));
            }
            for (Future<Integer> w : writes) assertThat(w.get()).isEqualTo(201);
            pool.shutdown();
        }
        EkJar.Result verified = EkJar.run(work, env, "audit", "verify", "--workspace", "acme");
        assertThat(verified.exitCode()).as(verified.stderr()).isZero();
        JsonNode chain = EkJar.jsonObject(verified.stdoutLines().get(0));
        assertThat(chain.get("checked").asLong()).isGreaterThanOrEqualTo(40);
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             var rows = s.executeQuery("SELECT SUM(last_seq - seq + 1), MAX(last_seq) FROM audit_block "
                     + "WHERE workspace_id = (SELECT id FROM workspace WHERE slug = 'acme')")) {
            rows.next();
            assertThat(rows.getLong(1)).as("entries").isEqualTo(rows.getLong(2)).isEqualTo(chain.get("checked").asLong());
        }
    }
}
