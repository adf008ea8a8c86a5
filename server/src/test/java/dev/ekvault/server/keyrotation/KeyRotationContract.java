package dev.ekvault.server.keyrotation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.EkServer;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.crypto.Aad;
import dev.ekvault.server.crypto.Aead;
import dev.ekvault.server.crypto.DataKeys;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.crypto.WrongMasterKeyException;
import dev.ekvault.server.secret.SecretStore;
import dev.ekvault.server.store.Dialect;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.sync.WebhookReceiver;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestClock;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Key rotation under the real server over HTTP (issue 17, item 5), on each database by a one-line subclass: an
 * environment's data key (new writes under the new key at once, old values readable meanwhile, re-encrypted in bounded
 * batches, a batch failed on purpose in the middle, then the old key retired) and the master key (one transaction,
 * failed on purpose and then done; running nodes switch; a node started with the old key is refused; one started with
 * the new key reads everything).
 */
abstract class KeyRotationContract {
    abstract Backend backend();

    static final String WS = "/v1/workspace/acme";

    // ---- an environment's data key ----

    @Test
    void anEnvironmentsDataKeyRotatesItsValuesAreReEncryptedInBatchesAndTheOldKeyIsRetired() {
        try (TestServer s = TestServer.start(backend())) {
            s.createProject("kr");
            String env = s.createEnvironment("kr", "dev", true);
            String other = s.createEnvironment("kr", "prod", false);
            Map<String, String> shared = new TreeMap<>();
            for (int i = 0; i < 7; i++) shared.put("KEY_" + i, "value-" + i);
            JsonNode created = s.createSecrets("kr", List.of(env, other), shared);
            String key0 = idOf(created, "KEY_0");
            put(s, s.ownerToken, key0, env, "value-0-second", false);
            put(s, s.ownerToken, key0, env, "value-0-third", false);
            shared.put("KEY_0", "value-0-third");
            TestServer.Session dev = s.invitePerson("dev@example.com", "developer", null);
            HttpResult personal = s.putAs(dev, WS + "/project/kr/secret/" + idOf(created, "KEY_1"),
                    "{\"values\":[{\"environmentId\":\"" + env + "\",\"value\":\"mine\",\"isPersonal\":true}]}");
            assertThat(personal.status()).as(personal.toString()).isEqualTo(200);
            assertThat(keyIdsIn(s, env)).containsExactly(1);

            // a developer may not rotate (positive control: the owner may)
            HttpResult refused = s.postAs(dev, WS + "/project/kr/environment/" + env + "/rotate-key", "");
            assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
            HttpResult rotated = s.post(WS + "/project/kr/environment/" + env + "/rotate-key", s.ownerToken, "");
            assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
            assertThat(rotated.json().get("keyId").asInt()).isEqualTo(2);
            assertThat(dataKeysOf(s, env)).containsExactly(1, 2);

            // new writes use the new key at once; everything reads back meanwhile
            s.createSecrets("kr", List.of(env), Map.of("AFTER_ROTATION", "fresh"));
            shared.put("AFTER_ROTATION", "fresh");
            assertThat(keyIdsIn(s, env)).containsExactlyInAnyOrder(1, 2);
            assertThat(sharedValues(s, env)).isEqualTo(shared);

            // the re-encryption in batches of 3: the third one (it reaches the history) fails on purpose in the middle
            DataKeyRotation job = new DataKeyRotation(s.server.database(), new DataKeys(MasterKey.fromBase64(s.masterKey), s.clock),
                    new SecretStore(s.config.secrets().maxVersions()), 3);
            failUpdatesOf(s, "secret_value_version");
            assertThatThrownBy(job::run).hasMessageContaining("failed on purpose");
            assertThat(valueRowsUnder(s, env, 1)).as("8 current values under key 1, two batches of 3 done").isEqualTo(2);
            assertThat(keyIdsIn(s, env)).containsExactlyInAnyOrder(1, 2);
            assertThat(dataKeysOf(s, env)).containsExactly(1, 2);
            assertThat(sharedValues(s, env)).isEqualTo(shared);
            assertThat(personalValue(s, dev, env, "KEY_1")).isEqualTo("mine");
            assertThat(history(s, "KEY_0", env)).containsExactly("value-0-third", "value-0-second", "value-0");

            // resumed: it completes, and the old key is gone with no ciphertext left under it
            stopFailing(s, "secret_value_version");
            for (int run = 0; run < 5 && dataKeysOf(s, env).size() > 1; run++) job.run();
            assertThat(dataKeysOf(s, env)).containsExactly(2);
            assertThat(keyIdsIn(s, env)).containsExactly(2);
            assertThat(sharedValues(s, env)).isEqualTo(shared);
            assertThat(personalValue(s, dev, env, "KEY_1")).isEqualTo("mine");
            assertThat(history(s, "KEY_0", env)).containsExactly("value-0-third", "value-0-second", "value-0");
            // the other environment was not touched
            assertThat(dataKeysOf(s, other)).containsExactly(1);
            assertThat(keyIdsIn(s, other)).containsExactly(1);
            // the retirement is in the audit log
            HttpResult audit = s.get(WS + "/audit?limit=100", s.ownerToken);
            assertThat(audit.body()).contains("rotate-key").contains("retire");
        }
    }

    @Test
    void aWriteUnderTheOldKeyAfterTheLastBatchRollsTheRetirementBack() {
        try (TestServer s = TestServer.start(backend())) {
            s.createProject("kr");
            String env = s.createEnvironment("kr", "dev", false);
            s.createSecrets("kr", List.of(env), Map.of("A", "one"));
            assertThat(s.post(WS + "/project/kr/environment/" + env + "/rotate-key", s.ownerToken, "").status()).isEqualTo(200);
            MasterKey master = MasterKey.fromBase64(s.masterKey);
            DataKeyRotation job = new DataKeyRotation(s.server.database(), new DataKeys(master, s.clock), new SecretStore(10), 3);
            job.run(); // re-encrypts
            job.run(); // drained: noted
            // a row sealed under key 1 appears (as a write that chose key 1 before the rotation committed would leave it)
            String workspace = s.server.database().read(c -> Sql.one(c, "SELECT workspace_id FROM environment WHERE id = ?", r -> r.getString(1), env));
            String projectId = s.server.database().read(c -> Sql.one(c, "SELECT project_id FROM environment WHERE id = ?", r -> r.getString(1), env));
            String secretId = s.server.database().read(c -> Sql.one(c, "SELECT id FROM secret WHERE name = 'A'", r -> r.getString(1)));
            byte[] oldKey = master.open(s.server.database().read(c -> Sql.one(c, "SELECT wrapped FROM data_key WHERE environment_id = ? AND key_id = 1",
                    r -> r.getBytes(1), env)), Aad.dataKey(workspace, env, 1));
            byte[] aad = Aad.secretValue(workspace, projectId, env, secretId, 1, "");
            byte[] underOld = Aead.seal(new javax.crypto.spec.SecretKeySpec(oldKey, "AES"), 1, "one".getBytes(), aad);
            // it appears inside the retirement's transaction, right after the delete of the old key (as, on PostgreSQL, a write
            // that the delete waited for): the retirement must find it and roll back
            String lateWrite = "UPDATE secret_value SET ciphertext = " + hexLiteral(s, underOld) + " WHERE secret_id = '" + secretId + "'";
            if (s.server.database().dialect() == Dialect.POSTGRESQL) {
                s.runSql("CREATE OR REPLACE FUNCTION keyrot_late_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " + lateWrite
                        + "; RETURN OLD; END $$");
                s.runSql("CREATE TRIGGER keyrot_late_write AFTER DELETE ON data_key FOR EACH ROW EXECUTE FUNCTION keyrot_late_write()");
            } else {
                s.runSql("CREATE TRIGGER keyrot_late_write AFTER DELETE ON data_key BEGIN " + lateWrite + "; END");
            }
            job.run();
            assertThat(dataKeysOf(s, env)).as("the retirement rolled back").containsExactly(1, 2);
            assertThat(sharedValues(s, env)).isEqualTo(Map.of("A", "one"));
            s.runSql("DROP TRIGGER keyrot_late_write" + (s.server.database().dialect() == Dialect.POSTGRESQL ? " ON data_key" : ""));
            // and were it committed: the row re-encrypted by the next runs, then the retirement
            s.runSql(lateWrite);
            for (int run = 0; run < 5 && dataKeysOf(s, env).size() > 1; run++) job.run();
            assertThat(dataKeysOf(s, env)).containsExactly(2);
            assertThat(keyIdsIn(s, env)).containsExactly(2);
            assertThat(sharedValues(s, env)).isEqualTo(Map.of("A", "one"));
        }
    }

    // ---- the master key ----

    @Test
    void theMasterKeyRotatesInOneTransactionRunningNodesFollowAndTheOldKeyIsRefused() throws Exception {
        Path folder = Files.createTempDirectory("ek-keyrot");
        Path nextFile = folder.resolve("next.key");
        String newKeyText = MasterKey.generateBase64();
        List<TestServer> nodes = new ArrayList<>();
        String[] flags = {"--master-key-next-file=" + nextFile, "--sync-allow-http-targets=true", "--sync-poll-millis=60000",
                "--sync-coalesce-millis=500"};
        TestServer s = TestServer.start(backend(), flags);
        nodes.add(s);
        if (backend() == Backend.POSTGRESQL) nodes.add(s.anotherNode(new TestClock(), flags));
        WebhookReceiver receiver = new WebhookReceiver();
        String oldKeyText = s.masterKey;
        MasterKey oldKey = MasterKey.fromBase64(oldKeyText);
        MasterKey newKey = MasterKey.fromBase64(newKeyText);
        List<Journal.Change> heard = new CopyOnWriteArrayList<>();
        s.server.database().journal().subscribeInTransaction((c, changes) -> heard.addAll(changes));
        Map<String, String> expected;
        String env;
        try {
            s.createProject("mk");
            env = s.createEnvironment("mk", "dev", false);
            expected = Map.of("DB_PASSWORD", "hunter2", "API_KEY", "abc123");
            s.createSecrets("mk", List.of(env), expected);
            // a webhook sync: its signing secret and the state of its last push are sealed under the master key
            String sync = webhook(s, receiver, env);
            s.clock.advance(java.time.Duration.ofSeconds(1));
            assertThat(s.server.syncEngine().runDue()).isEqualTo(1);
            Files.writeString(nextFile, newKeyText + "\n");

            // failed on purpose after the data keys were re-wrapped, inside its one transaction: nothing changed
            failUpdatesOf(s, "signing_key");
            assertThatThrownBy(() -> MasterKeyRotation.rotate(s.server.database(), oldKey, newKey)).hasMessageContaining("failed on purpose");
            stopFailing(s, "signing_key");
            assertThat(masterKeyIdsOfDataKeys(s)).containsExactly(oldKey.idHex());
            assertThat(DataKeys.opens(oldKey, verifier(s))).isTrue();
            for (TestServer node : nodes) {
                node.server.jobs().runNow(KeyRotationFeature.MASTER_KEY_JOB);
                assertThat(sharedValues(node, "mk", env)).isEqualTo(expected);
            }

            // done: every data key re-wrapped, every signing key re-sealed, a new verifier, journalled
            MasterKeyRotation.Resealed resealed = MasterKeyRotation.rotate(s.server.database(), oldKey, newKey);
            assertThat(resealed.dataKeys()).isGreaterThanOrEqualTo(1);
            assertThat(resealed.signingKeys()).isGreaterThanOrEqualTo(1);
            assertThat(masterKeyIdsOfDataKeys(s)).containsExactly(newKey.idHex());
            assertThat(signingKeyHeaderIds(s)).containsOnly(newKey.id());
            assertThat(resealed.syncs()).isEqualTo(1);
            assertThat(syncHeaderIds(s, sync)).containsOnly(newKey.id());
            assertThat(DataKeys.opens(newKey, verifier(s))).isTrue();
            assertThat(DataKeys.opens(oldKey, verifier(s))).isFalse();
            assertThat(heard).anyMatch(c -> c.action().equals("rotate") && c.entityType().equals("master-key"));
            assertThat(heard.toString()).doesNotContain(newKeyText).doesNotContain(oldKeyText);

            // a node that has not switched yet refuses to wrap a new data key under the old key
            assertThatThrownBy(() -> s.server.database().write(c -> {
                new DataKeys(oldKey, s.clock).createFor(c, "ws", UUID.randomUUID().toString());
                return null;
            })).hasMessageContaining("rotated away");

            // the running nodes switch (from master-key-next-file) and keep serving; one creates an environment, the other reads it
            for (TestServer node : nodes) node.server.jobs().runNow(KeyRotationFeature.MASTER_KEY_JOB);
            TestServer last = nodes.get(nodes.size() - 1);
            String env2 = last.createEnvironment("mk", "prod", false);
            last.createSecrets("mk", List.of(env2), Map.of("NEW_ENV", "after"));
            for (TestServer node : nodes) {
                node.server.changeFeed().poll();
                assertThat(sharedValues(node, "mk", env)).isEqualTo(expected);
                assertThat(sharedValues(node, "mk", env2)).containsEntry("NEW_ENV", "after");
            }
            assertThat(masterKeyIdsOfDataKeys(s)).containsExactly(newKey.idHex());
            // the sync still signs with its secret and knows what it pushed last: only the changed key goes out
            HttpResult changed = s.put(WS + "/project/mk/secret/" + s.get(WS + "/project/mk/secret/API_KEY?environmentId=" + env, s.ownerToken)
                    .json().get("id").asText(), s.ownerToken, "{\"values\":[{\"environmentId\":\"" + env + "\",\"value\":\"rotated\"}]}");
            assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
            s.clock.advance(java.time.Duration.ofSeconds(1));
            assertThat(s.server.syncEngine().runDue()).isEqualTo(1);
            assertThat(receiver.last().signatureValid()).isTrue();
            assertThat(receiver.last().body().get("data").get("changed").toString()).isEqualTo("[\"API_KEY\"]");
            expected = Map.of("DB_PASSWORD", "hunter2", "API_KEY", "rotated");
            for (TestServer node : nodes) {
                node.server.changeFeed().poll(); // another node sees the write after its next poll (README: reads from memory)
                assertThat(sharedValues(node, "mk", env)).isEqualTo(expected);
            }

            // something a slower node sealed under the old key just after the rotation is re-sealed by a node's next turn
            String workspace = s.server.database().read(c -> Sql.one(c, "SELECT workspace_id FROM environment WHERE id = ?", r -> r.getString(1), env));
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            byte[] wrappedOld = oldKey.seal(raw, Aad.dataKey(workspace, env, 7));
            s.runSql("INSERT INTO data_key (environment_id, key_id, master_key_id, wrapped, created_at) VALUES ('" + env + "', 7, '"
                    + oldKey.idHex() + "', " + hexLiteral(s, wrappedOld) + ", 0)");
            s.server.jobs().runNow(KeyRotationFeature.MASTER_KEY_JOB);
            assertThat(masterKeyIdsOfDataKeys(s)).containsExactly(newKey.idHex());
            s.runSql("DELETE FROM data_key WHERE environment_id = '" + env + "' AND key_id = 7");
            // after a minute the old key is forgotten; serving goes on
            s.clock.advance(MasterKeyFollower.KEEP_PREVIOUS.plusSeconds(1));
            s.server.jobs().runNow(KeyRotationFeature.MASTER_KEY_JOB);
            assertThat(sharedValues(s, "mk", env)).isEqualTo(expected);
        } finally {
            for (int i = nodes.size() - 1; i >= 0; i--) nodes.get(i).close();
            receiver.close();
        }

        // afterwards a node started with the old key is refused, and nothing is changed
        String url = s.config.database().url();
        Path dataDir = s.config.dataDir();
        assertThatThrownBy(() -> EkServer.open(new ConfigLoader().load(flags(url, dataDir, "--master-key=" + oldKeyText), Map.of()), new TestClock()))
                .isInstanceOf(WrongMasterKeyException.class)
                .hasMessageContaining(oldKey.idHex()).hasMessageContaining(newKey.idHex()).hasMessageContaining("rotate-master-key")
                .hasMessageNotContaining(oldKeyText);
        // the old key with the new one as master-key-next-file starts (a node restarted mid-procedure), as does the new key alone
        for (String keyFlags : List.of("--master-key=" + oldKeyText + " --master-key-next-file=" + nextFile, "--master-key=" + newKeyText)) {
            List<String> extra = List.of(keyFlags.split(" "));
            EkServer node = EkServer.open(new ConfigLoader().load(flags(url, dataDir, extra.toArray(String[]::new)), Map.of()), new TestClock()).start();
            try {
                assertThat(sharedValuesAt(node.port(), s.ownerToken, "mk", env)).isEqualTo(expected);
            } finally {
                node.close();
            }
        }
    }

    // ---- helpers ----

    private static List<String> flags(String url, Path dataDir, String... keyFlags) {
        List<String> flags = new ArrayList<>(List.of("--data-dir=" + dataDir, "--http-host=127.0.0.1", "--http-port=0", "--database-url=" + url,
                "--http-shutdown-timeout-seconds=5", "--rate-limit-per-ip-per-minute=0"));
        flags.addAll(List.of(keyFlags));
        return flags;
    }

    private static String idOf(JsonNode created, String key) {
        for (JsonNode secret : created) if (secret.get("name").asText().equals(key)) return secret.get("id").asText();
        throw new IllegalStateException("no secret " + key + " in " + created);
    }

    private static void put(TestServer s, String token, String secretId, String env, String value, boolean personal) {
        HttpResult r = s.put(WS + "/project/kr/secret/" + secretId, token, "{\"values\":[{\"environmentId\":\"" + env + "\",\"value\":"
                + TestServer.quote(value) + ",\"isPersonal\":" + personal + "}]}");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
    }

    private static Map<String, String> sharedValues(TestServer s, String env) {
        return sharedValues(s, "kr", env);
    }

    private static Map<String, String> sharedValues(TestServer s, String project, String env) {
        HttpResult r = s.get(WS + "/project/" + project + "/secret?environmentId=" + env, s.ownerToken);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return values(r.json(), env, false);
    }

    private static Map<String, String> sharedValuesAt(int port, String token, String project, String env) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + WS + "/project/"
                + project + "/secret?environmentId=" + env)).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return values(new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()), env, false);
    }

    private static Map<String, String> values(JsonNode list, String env, boolean personal) {
        Map<String, String> values = new TreeMap<>();
        for (JsonNode secret : list) {
            for (JsonNode v : secret.get("values")) {
                if (v.get("environmentId").asText().equals(env) && v.get("isPersonal").asBoolean() == personal) {
                    values.put(secret.get("name").asText(), v.get("value").asText());
                }
            }
        }
        return values;
    }

    private static String personalValue(TestServer s, TestServer.Session who, String env, String key) {
        HttpResult r = s.getAs(who, WS + "/project/kr/secret?environmentId=" + env);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return values(r.json(), env, true).get(key);
    }

    private static List<String> history(TestServer s, String key, String env) {
        HttpResult r = s.get(WS + "/project/kr/secret/" + key + "/versions?environmentId=" + env + "&includeValues=true", s.ownerToken);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        List<String> values = new ArrayList<>();
        for (JsonNode v : r.json()) values.add(v.get("value").asText());
        return values;
    }

    /** The data key ids named by every ciphertext of the environment: current values and history. */
    private static Set<Integer> keyIdsIn(TestServer s, String env) {
        return s.server.database().read(c -> {
            Set<Integer> ids = new HashSet<>();
            for (byte[] ct : Sql.list(c, "SELECT ciphertext FROM secret_value WHERE environment_id = ?", r -> r.getBytes(1), env)) ids.add(Aead.keyId(ct));
            for (byte[] ct : Sql.list(c, "SELECT ciphertext FROM secret_value_version WHERE environment_id = ? AND ciphertext IS NOT NULL",
                    r -> r.getBytes(1), env)) {
                ids.add(Aead.keyId(ct));
            }
            return ids;
        });
    }

    private static int valueRowsUnder(TestServer s, String env, int keyId) {
        return s.server.database().read(c -> (int) Sql.list(c, "SELECT ciphertext FROM secret_value WHERE environment_id = ?", r -> r.getBytes(1), env)
                .stream().filter(ct -> Aead.keyId(ct) == keyId).count());
    }

    private static List<Integer> dataKeysOf(TestServer s, String env) {
        return s.server.database().read(c -> Sql.list(c, "SELECT key_id FROM data_key WHERE environment_id = ? ORDER BY key_id", r -> r.getInt(1), env));
    }

    private static Set<String> masterKeyIdsOfDataKeys(TestServer s) {
        return s.server.database().read(c -> {
            Set<String> ids = new HashSet<>();
            for (byte[] wrapped : Sql.list(c, "SELECT wrapped FROM data_key", r -> r.getBytes(1))) ids.add(MasterKey.hex(Aead.keyId(wrapped)));
            ids.addAll(Sql.list(c, "SELECT master_key_id FROM data_key", r -> r.getString(1)));
            return ids;
        });
    }

    private static Set<Integer> signingKeyHeaderIds(TestServer s) {
        return s.server.database().read(c -> new HashSet<>(Sql.list(c, "SELECT private_sealed FROM signing_key", r -> Aead.keyId(r.getBytes(1)))));
    }

    private static Set<Integer> syncHeaderIds(TestServer s, String sync) {
        return s.server.database().read(c -> {
            Set<Integer> ids = new HashSet<>();
            ids.add(Sql.one(c, "SELECT credential FROM sync_config WHERE id = ?", r -> Aead.keyId(r.getBytes(1)), sync));
            ids.add(Sql.one(c, "SELECT pushed_state FROM sync_config WHERE id = ?", r -> Aead.keyId(r.getBytes(1)), sync));
            return ids;
        });
    }

    /** A webhook sync of {@code env} to {@code receiver}, set up through the wizard; returns its id. */
    private static String webhook(TestServer s, WebhookReceiver receiver, String env) {
        HttpResult started = s.post("/v1/sync/webhook/start", s.ownerToken, "");
        assertThat(started.status()).as("%s", started).isEqualTo(201);
        String id = started.json().get("syncConfigId").asText();
        HttpResult auth = s.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=auth", s.ownerToken, "{}");
        assertThat(auth.status()).as("%s", auth).isEqualTo(200);
        receiver.secret(auth.json().get("shownOnce").get("signingSecret").asText());
        assertThat(s.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=target", s.ownerToken,
                "{\"url\":\"" + receiver.url() + "\",\"sendValues\":false}").status()).isEqualTo(200);
        assertThat(s.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=mapping", s.ownerToken,
                "{\"environmentId\":\"" + env + "\",\"deleteMissing\":true}").status()).isEqualTo(200);
        return id;
    }

    private static byte[] verifier(TestServer s) {
        return s.server.database().read(c -> Sql.one(c, "SELECT verifier FROM master_key_check WHERE id = 1", r -> r.getBytes(1)));
    }

    private static String hexLiteral(TestServer s, byte[] bytes) {
        String hex = java.util.HexFormat.of().formatHex(bytes);
        return s.server.database().dialect() == Dialect.POSTGRESQL ? "'\\x" + hex + "'::bytea" : "X'" + hex + "'";
    }

    /** Every update of {@code table} fails from now on: a transaction that reaches one rolls back in the middle. */
    private static void failUpdatesOf(TestServer s, String table) {
        if (s.server.database().dialect() == Dialect.POSTGRESQL) {
            s.runSql("CREATE OR REPLACE FUNCTION keyrot_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'failed on purpose'; END $$");
            s.runSql("CREATE TRIGGER keyrot_fail_" + table + " BEFORE UPDATE ON " + table + " FOR EACH ROW EXECUTE FUNCTION keyrot_fail()");
        } else {
            s.runSql("CREATE TRIGGER keyrot_fail_" + table + " BEFORE UPDATE ON " + table + " BEGIN SELECT RAISE(ABORT, 'failed on purpose'); END");
        }
    }

    private static void stopFailing(TestServer s, String table) {
        s.runSql("DROP TRIGGER keyrot_fail_" + table + (s.server.database().dialect() == Dialect.POSTGRESQL ? " ON " + table : ""));
    }
}
