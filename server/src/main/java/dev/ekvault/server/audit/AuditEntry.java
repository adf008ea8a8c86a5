package dev.ekvault.server.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One audit entry as stored. Its canonical form is one line of JSON with every field, in this record's order, nulls
 * written as null and {@code before}/{@code after} as the canonical JSON they were stored as (keys sorted); the
 * entry's {@code hash} is the SHA-256 (hex) of that line's UTF-8 bytes. The line holds {@code prevHash}, the hash of
 * the workspace's previous entry ({@link #GENESIS} for the first), so changing, removing, inserting or reordering an
 * entry breaks the chain at that entry. The export writes the canonical line with {@code "hash"} appended, so anyone
 * can check a file with a few lines of code (README).
 */
public record AuditEntry(String workspaceId, long seq, String id, long at, String actorUserId, String credentialId,
                         String credentialKind, String clientAddress, String requestId, String action, String entityType,
                         String entityId, String projectId, String environmentId, String beforeJson, String afterJson,
                         String outcome, String prevHash, String hash) {
    public static final String GENESIS = "0".repeat(64);
    private static final JsonFactory JSON = new JsonFactory();

    /** The line that is hashed: every field but {@code hash}. */
    public String canonical() {
        StringWriter out = new StringWriter(1024 + (beforeJson == null ? 0 : beforeJson.length()) + (afterJson == null ? 0 : afterJson.length()));
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("workspaceId", workspaceId);
            g.writeNumberField("seq", seq);
            g.writeStringField("id", id);
            g.writeNumberField("at", at);
            g.writeStringField("actorUserId", actorUserId);
            g.writeStringField("credentialId", credentialId);
            g.writeStringField("credentialKind", credentialKind);
            g.writeStringField("clientAddress", clientAddress);
            g.writeStringField("requestId", requestId);
            g.writeStringField("action", action);
            g.writeStringField("entityType", entityType);
            g.writeStringField("entityId", entityId);
            g.writeStringField("projectId", projectId);
            g.writeStringField("environmentId", environmentId);
            g.writeFieldName("before");
            if (beforeJson == null) g.writeNull(); else g.writeRawValue(beforeJson);
            g.writeFieldName("after");
            if (afterJson == null) g.writeNull(); else g.writeRawValue(afterJson);
            g.writeStringField("outcome", outcome);
            g.writeStringField("prevHash", prevHash);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** The export's line: the canonical line with the hash as its last field. */
    public String exportLine() {
        String canonical = canonical();
        return canonical.substring(0, canonical.length() - 1) + ",\"hash\":\"" + hash + "\"}";
    }

    /** The hash this entry's content gives (compare with {@link #hash} to find an edited row). */
    public String computeHash() {
        return sha256(canonical());
    }

    /** This entry with its hash computed. */
    AuditEntry sealed() {
        return new AuditEntry(workspaceId, seq, id, at, actorUserId, credentialId, credentialKind, clientAddress, requestId, action,
                entityType, entityId, projectId, environmentId, beforeJson, afterJson, outcome, prevHash, computeHash());
    }

    /**
     * A new entry id: a version-7 UUID (milliseconds first, then random bits from a fast, non-cryptographic source).
     * Time-ordered ids land at the end of the id index, so a burst of entries dirties a page or two of it rather than
     * one random page each (which, on SQLite, is a page written to the log per entry). Nothing rests on an id's being
     * unguessable: it only names an entry to an admin who may read it anyway.
     */
    static String newId(long millis) {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        long high = (millis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new java.util.UUID(high, low).toString();
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
