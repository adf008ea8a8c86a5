package dev.ekvault.server.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.logging.Logger;

/**
 * An audit device in Vault's sense: every committed entry also written as one JSON line (the export's form, hash
 * included) to a file or standard output, for a SIEM to ingest. Written after the commit, so a line always names an
 * entry that exists; a line the device cannot write is logged and the entry stays in the database, where the export
 * finds it.
 */
public final class AuditDevice implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AuditDevice.class.getName());
    /** No device. */
    public static final AuditDevice NONE = new AuditDevice(null, "");

    private final OutputStream out;
    private final String where;

    private AuditDevice(OutputStream out, String where) {
        this.out = out;
        this.where = where;
    }

    /** {@code ""}: none; {@code "-"}: standard output; else a file, appended to (created 0600 if missing). */
    public static AuditDevice open(String target) {
        if (target.isEmpty()) return NONE;
        if (target.equals("-")) return new AuditDevice(new PrintStream(System.out, false, StandardCharsets.UTF_8), "standard output");
        try {
            Path file = Path.of(target);
            if (!Files.exists(file)) {
                Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            }
            return new AuditDevice(Files.newOutputStream(file, StandardOpenOption.APPEND, StandardOpenOption.WRITE), target);
        } catch (IOException | UnsupportedOperationException e) {
            throw new dev.ekvault.server.config.ConfigException("audit.file: cannot open " + target + " for appending ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    public synchronized void write(List<AuditEntry> entries) {
        if (out == null || entries.isEmpty()) return;
        try {
            StringBuilder lines = new StringBuilder();
            for (AuditEntry e : entries) lines.append(e.exportLine()).append('\n');
            out.write(lines.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            LOG.warning("the audit device " + where + " could not be written (" + e.getClass().getSimpleName() + "); the entries are in the database");
        }
    }

    @Override
    public synchronized void close() {
        if (out == null || where.equals("standard output")) return;
        try {
            out.close();
        } catch (IOException e) {
            LOG.warning("the audit device " + where + " did not close cleanly");
        }
    }
}
