package dev.ekvault.server.backup;

import dev.ekvault.server.EkServer;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.ConfigException;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.config.StartFailure;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.testing.Await;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.TestClock;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code ek-server backup} and {@code restore} on the embedded store, with the real server over HTTP: a backup taken
 * under a stream of acknowledged writes restores with every write acknowledged before it began, readable; every refusal
 * of a restore (a serving folder, an occupied one, a wrong or missing key, a file that is no backup) writes nothing, each
 * beside a positive control; the scheduled job keeps the newest backups.
 */
class BackupRestoreTest {
    private static Config config(Path dataDir, String masterKey, String... extra) {
        List<String> flags = new ArrayList<>(List.of("--data-dir=" + dataDir, "--http-host=127.0.0.1", "--http-port=0"));
        if (masterKey != null) flags.add("--master-key=" + masterKey);
        flags.addAll(List.of(extra));
        return new ConfigLoader().load(flags, Map.of());
    }

    private static Path fresh(String prefix) throws Exception {
        Path parent = Files.createTempDirectory(prefix);
        return parent.resolve("data"); // not there yet: what an operator restores into
    }

    @Test
    void aBackupUnderWriteLoadRestoresEveryWriteAcknowledgedBeforeItBegan() throws Exception {
        Path backups = Files.createTempDirectory("ek-backups");
        Path restoredDir = fresh("ek-restored");
        String ownerToken;
        String environment;
        List<String> acknowledgedBefore;
        Map<String, String> acknowledged = new java.util.concurrent.ConcurrentHashMap<>();
        List<String> order = new CopyOnWriteArrayList<>();
        boolean overlapped = false;
        try (TestServer s = TestServer.start(Backend.SQLITE)) {
            ownerToken = s.ownerToken;
            s.createProject("web");
            environment = s.createEnvironment("web", "production", false);
            AtomicBoolean stop = new AtomicBoolean();
            List<Throwable> writerFailure = new CopyOnWriteArrayList<>();
            String padding = "x".repeat(2048);
            Thread writer = Thread.ofPlatform().name("acknowledged-writer").start(() -> {
                try {
                    for (int i = 0; !stop.get(); i++) {
                        String key = "K" + i;
                        String value = "value-" + i + "-" + padding;
                        s.createSecrets("web", List.of(environment), Map.of(key, value)); // throws unless 201
                        acknowledged.put(key, value);
                        order.add(key);
                    }
                } catch (Throwable t) {
                    writerFailure.add(t);
                }
            });
            Await.until("the writer has made 50 acknowledged writes", Duration.ofSeconds(60), Duration.ofMillis(10), () -> order.size() >= 50);
            Path last = null;
            int before = 0;
            for (int round = 0; round < 8; round++) {
                last = backups.resolve("ek-" + round + ".db");
                before = order.size(); // every key before this index was acknowledged before this backup began
                Backups.backup(s.config, last);
                overlapped |= order.size() > before;
            }
            // a copy of the whole list first: a view of part of it fails when the writer adds to the list meanwhile
            acknowledgedBefore = List.copyOf(order).subList(0, before);
            stop.set(true);
            writer.join(30_000);
            assertThat(writerFailure).as("every write of the load was acknowledged").isEmpty();
            assertThat(overlapped).as("writes were acknowledged while a backup ran: it does not hold the writer").isTrue();
            assertThat(order.size()).as("writes went on after the last backup began").isGreaterThan(acknowledgedBefore.size());

            Restore.restore(config(restoredDir, s.masterKey), last, false, Clock.systemUTC());
            try (TestServer restored = TestServer.startOn(new TestClock(), "", restoredDir, s.masterKey, ownerToken)) {
                Map<String, String> read = restored.sharedValues("web", environment, restored.ownerToken);
                for (String key : acknowledgedBefore) {
                    assertThat(read.get(key)).as("acknowledged before the backup began: " + key).isEqualTo(acknowledged.get(key));
                }
                assertThat(acknowledgedBefore).hasSizeGreaterThanOrEqualTo(50);
            }
        }
        try (Stream<Path> left = Files.list(backups)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no partial file is left beside the backups")
                    .allMatch(name -> name.matches("ek-[0-9]\\.db"));
        }
    }

    @Test
    void aRestoreRefusesAServingFolderAlwaysAndAnOccupiedOneWithoutForce() throws Exception {
        Path backup = Files.createTempDirectory("ek-backups").resolve("ek.db");
        TestServer s = TestServer.start(Backend.SQLITE);
        Path dir = s.config.dataDir();
        String environment;
        try {
            s.createProject("web");
            environment = s.createEnvironment("web", "production", false);
            s.createSecrets("web", List.of(environment), Map.of("IN_BACKUP", "kept"));
            Backups.backup(s.config, backup);
            s.createSecrets("web", List.of(environment), Map.of("AFTER_BACKUP", "replaced"));

            for (boolean force : new boolean[] {false, true}) {
                assertThatThrownBy(() -> Restore.restore(config(dir, s.masterKey), backup, force, Clock.systemUTC()))
                        .isInstanceOfSatisfying(StartFailure.class, f -> assertThat(f.reason).isEqualTo(StartFailure.Reason.DATA_FOLDER))
                        .hasMessageContaining("is serving the data folder").hasMessageContaining("stop it");
            }
            assertThat(s.sharedValues("web", environment, s.ownerToken)).as("the serving node's data is untouched").containsKeys("IN_BACKUP", "AFTER_BACKUP");
        } finally {
            s.close();
        }

        assertThatThrownBy(() -> Restore.restore(config(dir, s.masterKey), backup, false, Clock.systemUTC()))
                .isInstanceOfSatisfying(StartFailure.class, f -> assertThat(f.reason.exitCode).isEqualTo(3))
                .hasMessageContaining("--force").hasMessageContaining("nothing was changed");

        Files.writeString(dir.resolve("ek.db-journal"), "a stale log that must not meet the restored database");
        Restore.restore(config(dir, s.masterKey), backup, true, Clock.systemUTC());
        assertThat(dir.resolve("ek.db-journal")).doesNotExist();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ek.db"))))
                .as("the restored database is owner-only").isEqualTo("rw-------");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("the replaced database is kept beside it")
                    .anyMatch(name -> name.matches("ek\\.db\\.replaced-[0-9]{8}T[0-9]{6}Z"))
                    .noneMatch(name -> name.endsWith(".restoring"));
        }
        try (TestServer restored = TestServer.startOn(new TestClock(), "", dir, s.masterKey, s.ownerToken)) {
            Map<String, String> read = restored.sharedValues("web", environment, restored.ownerToken);
            assertThat(read).containsEntry("IN_BACKUP", "kept").doesNotContainKey("AFTER_BACKUP");
        }
    }

    @Test
    void aRestoreChecksTheBackupAndTheMasterKeyBeforeWritingAnything() throws Exception {
        Path backup = Files.createTempDirectory("ek-backups").resolve("ek.db");
        String key;
        String ownerToken;
        try (TestServer s = TestServer.start(Backend.SQLITE)) {
            key = s.masterKey;
            ownerToken = s.ownerToken;
            s.createProject("web");
            Backups.backup(s.config, backup);
        }
        byte[] original = Files.readAllBytes(backup);

        Path wrongKey = fresh("ek-wrong-key");
        assertThatThrownBy(() -> Restore.restore(config(wrongKey, MasterKey.generateBase64()), backup, false, Clock.systemUTC()))
                .isInstanceOfSatisfying(StartFailure.class, f -> assertThat(f.reason.exitCode).isEqualTo(4))
                .hasMessageContaining("does not open the backup").hasMessageContaining("nothing was changed");
        assertThat(wrongKey).as("nothing was written, not even the folder").doesNotExist();

        Path noKey = fresh("ek-no-key");
        assertThatThrownBy(() -> Restore.restore(config(noKey, null), backup, false, Clock.systemUTC()))
                .isInstanceOfSatisfying(StartFailure.class, f -> assertThat(f.reason.exitCode).isEqualTo(4))
                .hasMessageContaining(noKey.resolve("master.key").toString()).hasMessageContaining("does not hold");
        assertThat(noKey).doesNotExist();

        Path notABackup = Files.createTempFile("ek-not-a-backup", ".db");
        Files.writeString(notABackup, "SQLite format 2 is not what this is");
        Path target = fresh("ek-target");
        assertThatThrownBy(() -> Restore.restore(config(target, key), notABackup, false, Clock.systemUTC()))
                .isInstanceOfSatisfying(StartFailure.class, f -> assertThat(f.reason.exitCode).isEqualTo(7))
                .hasMessageContaining("not an SQLite database");
        Path damaged = Files.createTempFile("ek-damaged", ".db");
        Files.write(damaged, java.util.Arrays.copyOf(original, original.length / 2));
        assertThatThrownBy(() -> Restore.restore(config(target, key), damaged, false, Clock.systemUTC()))
                .isInstanceOfSatisfying(StartFailure.class, f -> assertThat(f.reason.exitCode).isEqualTo(7))
                .hasMessageContaining("damaged");
        assertThatThrownBy(() -> Restore.restore(config(target, key), backup.resolveSibling("missing.db"), false, Clock.systemUTC()))
                .isInstanceOfSatisfying(StartFailure.class, f -> assertThat(f.reason.exitCode).isEqualTo(8));
        assertThat(target).doesNotExist();

        // the positive control: the right key, given as the data folder's key file, opens it
        Files.createDirectories(target);
        Files.writeString(target.resolve("master.key"), key + "\n");
        Restore.restore(config(target, null), backup, false, Clock.systemUTC());
        assertThat(Files.readAllBytes(backup)).as("the backup file is only read").isEqualTo(original);
        try (TestServer restored = TestServer.startOn(new TestClock(), "", target, key, ownerToken)) {
            assertThat(restored.get("/v1/workspace/acme/project/web", ownerToken).status()).isEqualTo(200);
        }
    }

    @Test
    void aSecondNodeOnAServingFolderIsRefusedAndStartsOnceTheFirstStops() throws Exception {
        TestServer s = TestServer.start(Backend.SQLITE);
        try {
            assertThatThrownBy(() -> EkServer.open(s.config, new TestClock()))
                    .isInstanceOfSatisfying(StartFailure.class, f -> assertThat(f.reason.exitCode).isEqualTo(6))
                    .hasMessageContaining("is serving the data folder").hasMessageContaining("own data-dir");
            assertThat(s.get("/v1/workspace/acme/project", s.ownerToken).status()).as("the first node still serves").isEqualTo(200);
        } finally {
            s.close();
        }
        try (TestServer again = TestServer.startOn(new TestClock(), "", s.config.dataDir(), s.masterKey, s.ownerToken)) {
            assertThat(again.get("/v1/workspace/acme/project", s.ownerToken).status()).isEqualTo(200);
        }
    }

    @Test
    void theBackupCommandRefusesWhatItCannotDo() throws Exception {
        Path existing = Files.createTempFile("ek-existing", ".db");
        try (TestServer s = TestServer.start(Backend.SQLITE)) {
            assertThatThrownBy(() -> Backups.backup(s.config, existing)).isInstanceOf(ConfigException.class).hasMessageContaining("already there");
            assertThat(Files.size(existing)).isZero();
            assertThatThrownBy(() -> Backups.backup(s.config, existing.resolveSibling("no-such-folder").resolve("b.db")))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("does not exist");
            Path ok = existing.resolveSibling("ek-ok-" + System.nanoTime() + ".db");
            Backups.backup(s.config, ok);
            assertThat(SqliteCopy.check(ok)).isNull();
            if (!System.getProperty("os.name").startsWith("Windows")) {
                assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(ok))).isEqualTo("rw-------");
            }
        }
        Path empty = fresh("ek-empty");
        Files.createDirectories(empty);
        assertThatThrownBy(() -> Backups.backup(config(empty, MasterKey.generateBase64()), empty.resolveSibling("b.db")))
                .isInstanceOfSatisfying(StartFailure.class, f -> assertThat(f.reason.exitCode).isEqualTo(8));
        Config postgres = new ConfigLoader().load(List.of("--database-url=postgresql://127.0.0.1:5432/ek", "--master-key=" + MasterKey.generateBase64()), Map.of());
        assertThatThrownBy(() -> Backups.backup(postgres, empty.resolveSibling("pg.db"))).isInstanceOf(ConfigException.class).hasMessageContaining("pg_dump");
        assertThatThrownBy(() -> Restore.restore(postgres, existing, false, Clock.systemUTC())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("pg_restore");
    }

    @Test
    void scheduledBackupsAreNamedByTheClockAndOnlyTheNewestAreKept() throws Exception {
        Path folder = Files.createTempDirectory("ek-scheduled");
        Files.writeString(folder.resolve("notes.txt"), "not ours");
        Files.writeString(folder.resolve("ek-backup-manual.db"), "not named like ours");
        List<String> names = new ArrayList<>();
        String environment;
        Path restoredDir = fresh("ek-scheduled-restore");
        try (TestServer s = TestServer.start(Backend.SQLITE, "--backup-interval-minutes=60", "--backup-keep=2", "--backup-folder=" + folder)) {
            s.createProject("web");
            environment = s.createEnvironment("web", "production", false);
            for (int round = 0; round < 3; round++) {
                s.createSecrets("web", List.of(environment), Map.of("ROUND_" + round, "value " + round));
                names.add("ek-backup-" + Restore.STAMP.format(s.clock.instant()) + ".db");
                s.server.jobs().runNow(BackupFeature.JOB);
                s.clock.advance(Duration.ofHours(1));
            }
            try (Stream<Path> files = Files.list(folder)) {
                assertThat(files.map(p -> p.getFileName().toString()))
                        .containsExactlyInAnyOrder(names.get(1), names.get(2), "notes.txt", "ek-backup-manual.db");
            }
            Restore.restore(config(restoredDir, s.masterKey), folder.resolve(names.get(2)), false, Clock.systemUTC());
            try (TestServer restored = TestServer.startOn(new TestClock(), "", restoredDir, s.masterKey, s.ownerToken)) {
                assertThat(restored.sharedValues("web", environment, restored.ownerToken)).containsEntry("ROUND_2", "value 2").containsKeys("ROUND_0", "ROUND_1");
            }
        }
    }

    @Test
    void aScheduledBackupThatFailsLeavesTheNodeServingAndTriesAgain() throws Exception {
        Path blocked = Files.createTempFile("ek-not-a-folder", ".txt");
        try (TestServer s = TestServer.start(Backend.SQLITE, "--backup-interval-minutes=5", "--backup-folder=" + blocked)) {
            s.server.jobs().runNow(BackupFeature.JOB); // the folder is a file: logged, not thrown
            assertThat(Files.size(blocked)).isZero();
            assertThat(s.get("/v1/workspace/acme/project", s.ownerToken).status()).isEqualTo(200);
            Files.delete(blocked);
            s.server.jobs().runNow(BackupFeature.JOB); // the next turn, with the obstacle gone
            try (Stream<Path> files = Files.list(blocked)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactly("ek-backup-" + Restore.STAMP.format(s.clock.instant()) + ".db");
            }
        }
    }

    @Test
    void scheduledBackupsAreRefusedOnPostgresAndOffByDefault() {
        String key = MasterKey.generateBase64();
        assertThatThrownBy(() -> new ConfigLoader().load(List.of("--database-url=postgresql://127.0.0.1:5432/ek", "--master-key=" + key,
                "--backup-interval-minutes=60"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("backup.interval-minutes").hasMessageContaining("pg_dump");
        Config postgres = new ConfigLoader().load(List.of("--database-url=postgresql://127.0.0.1:5432/ek", "--master-key=" + key), Map.of());
        assertThat(postgres.backup().interval()).isZero();
        Config sqlite = new ConfigLoader().load(List.of("--data-dir=/srv/ek", "--backup-interval-minutes=15"), Map.of());
        assertThat(sqlite.backup().interval()).isEqualTo(Duration.ofMinutes(15));
        assertThat(sqlite.backup().folder()).isEqualTo(Path.of("/srv/ek/backups"));
        assertThat(sqlite.backup().keep()).isEqualTo(7);
        assertThatThrownBy(() -> new ConfigLoader().load(List.of("--backup-keep=0"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("backup.keep");
    }
}
