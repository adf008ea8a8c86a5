package dev.ekvault.server.backup;

import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.StartFailure;
import dev.ekvault.server.platform.Platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Scheduled backups of the embedded store ({@code backup.interval-minutes}, {@code backup.folder}, {@code backup.keep}):
 * a job of the serving node writes {@code ek-backup-<UTC time>.db} the way {@code ek-server backup} does (atomically,
 * beside the running writer) and then deletes the oldest beyond {@code keep}. Only files named like its own are ever
 * deleted. On PostgreSQL the settings are refused at start ({@code ConfigLoader}): a silently skipped backup is worse
 * than none.
 */
public final class BackupFeature {
    private static final Logger LOG = Logger.getLogger(BackupFeature.class.getName());
    public static final String JOB = "backup";
    /** The UTC time in the name sorts as text in time order, so the oldest are the first names. */
    private static final Pattern NAME = Pattern.compile("ek-backup-[0-9]{8}T[0-9]{6}Z\\.db");

    private final Path database;
    private final Config.Backup settings;
    private final Clock clock;

    private BackupFeature(Path database, Config.Backup settings, Clock clock) {
        this.database = database;
        this.settings = settings;
        this.clock = clock;
    }

    /** Registers the job when the embedded store is used and an interval is set. */
    public static void install(Platform p) {
        Config.Backup settings = p.config().backup();
        if (settings.interval().isZero() || !p.config().database().embedded()) return;
        BackupFeature backups = new BackupFeature(Backups.database(p.config()), settings, p.clock());
        p.jobs().every(JOB, settings.interval(), backups::runOnce);
    }

    /**
     * One scheduled backup, then the pruning. A failure is logged with its reason (our own messages: paths and SQLite's
     * error, never data) and the job runs again at its next turn; the node keeps serving.
     */
    void runOnce() {
        Path folder = settings.folder();
        try {
            if (!Files.isDirectory(folder)) SqliteCopy.createOwnerOnlyFolder(folder);
            Path target = folder.resolve("ek-backup-" + Restore.STAMP.format(clock.instant()) + ".db");
            if (Files.exists(target)) {
                LOG.warning("scheduled backup skipped: " + target.getFileName() + " is already there");
            } else {
                SqliteCopy.snapshot(database, target);
                LOG.info("scheduled backup written: " + target);
            }
            prune(folder);
        } catch (IOException e) {
            LOG.warning("scheduled backup into " + folder + " failed: " + e.getClass().getSimpleName() + " " + e.getMessage()
                    + "; trying again in " + settings.interval().toMinutes() + " min");
        } catch (StartFailure e) {
            LOG.warning("scheduled backup into " + folder + " failed: " + e.getMessage() + "; trying again in "
                    + settings.interval().toMinutes() + " min");
        }
    }

    private void prune(Path folder) throws IOException {
        List<Path> ours;
        try (Stream<Path> files = Files.list(folder)) {
            ours = files.filter(f -> NAME.matcher(f.getFileName().toString()).matches()).sorted().toList();
        }
        for (Path old : ours.subList(0, Math.max(0, ours.size() - settings.keep()))) {
            Files.deleteIfExists(old);
            LOG.info("scheduled backup removed (backup.keep=" + settings.keep() + "): " + old.getFileName());
        }
    }
}
