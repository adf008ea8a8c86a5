package dev.ekvault.server.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An entry's canonical line is written by hand for speed; the chain's hashes (and every hash stored before) rest on it
 * being exactly what Jackson's generator writes for the same fields, which is what this test compares, over text that
 * JSON must escape.
 */
class AuditEntryTest {
    private static final List<String> AWKWARD = List.of("plain", "", "quote \" and back\\slash", "new\nline\ttab\r\b\f",
            "control \u0000\u0001\u001f\u007f", "slash / and </script>", "non-ASCII é ü 中文 \u2028\u2029", "emoji \uD83D\uDD11",
            "unpaired \uD800 surrogate");

    @Test
    void theCanonicalLineIsWhatJacksonsGeneratorWrites() throws IOException {
        for (String text : AWKWARD) {
            AuditEntry e = new AuditEntry(text, 42, text, 1_700_000_000_000L, text, null, text, text, text, text, text, text, null, text,
                    "{\"a\":1}", null, text, text, null);
            assertThat(e.canonical()).as(text).isEqualTo(jackson(e));
            AuditEntry.Chained chained = e.chained(43, "id-43", "prev");
            assertThat(chained.entry().hash()).isEqualTo(AuditEntry.sha256(chained.entry().canonical()));
            assertThat(AuditEntry.parse(chained.line())).isEqualTo(chained.entry());
            assertThat(chained.line()).isEqualTo(chained.entry().exportLine());
        }
    }

    /**
     * A change's before and after fields are written by hand too when they are flat (text, booleans, whole numbers,
     * nulls, lists of text): byte for byte what the mapper with sorted keys writes, which stored hashes rest on.
     */
    @Test
    void flatFieldsWrittenByHandAreWhatTheMapperWrites() throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper mapper = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                .enable(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();
        for (String text : AWKWARD) {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("zeta", text);
            fields.put(text, true);
            fields.put("alpha", 42L);
            fields.put("Beta", -7);
            fields.put("none", null);
            fields.put("names", List.of(text, "b"));
            fields.put("empty", List.of());
            fields.put("flag", false);
            assertThat(AuditLog.flatCanonical(fields)).as(text).isEqualTo(mapper.writeValueAsString(fields));
            assertThat(AuditLog.canonical(fields)).as(text).isEqualTo(mapper.writeValueAsString(fields));
        }
        // anything else is the mapper's to write
        Map<String, Object> nested = Map.of("nested", Map.of("b", 2, "a", 1), "x", "y");
        assertThat(AuditLog.flatCanonical(nested)).isNull();
        assertThat(AuditLog.flatCanonical(Map.of("fraction", 1.5))).isNull();
        assertThat(AuditLog.flatCanonical(Map.of("lists", List.of(List.of("a"))))).isNull();
        assertThat(AuditLog.canonical(nested)).isEqualTo(mapper.writeValueAsString(nested)).isEqualTo("{\"nested\":{\"a\":1,\"b\":2},\"x\":\"y\"}");
    }

    /** The hash is SHA-256 of the line's UTF-8 bytes, whether the line is ASCII (hashed from a reused buffer) or not. */
    @Test
    void theHashIsSha256OfTheUtf8Line() throws Exception {
        java.security.MessageDigest reference = java.security.MessageDigest.getInstance("SHA-256");
        for (String text : AWKWARD) {
            String line = "{\"x\":\"" + text + "\"}" + "y".repeat(3000); // past the reused buffer's first size too
            assertThat(AuditEntry.sha256(line)).as(text)
                    .isEqualTo(java.util.HexFormat.of().formatHex(reference.digest(line.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        }
    }

    /**
     * A compact line holds only what differs from the entry before it, and reads back as exactly the entry it was
     * written from: fields that stay, change, become null or stop being null, awkward text among them.
     */
    @Test
    void aCompactLineReadsBackAsItsEntry() {
        AuditEntry.Chained first = new AuditEntry("ws", 0, null, 1_000L, "user", "cred", "static", "10.0.0.1", "req-0", "view", "secret",
                null, "prj", "env", null, "{\"secrets\":[\"A\",\"B\"]}", "success", null, null).chained(7, AuditEntry.newGroupId(1_000L), "prev");
        String firstId = first.entry().id();
        AuditEntry previous = AuditEntry.parse(first.line());
        assertThat(previous).isEqualTo(first.entry());
        AuditEntry head = previous;
        for (int i = 0; i < AWKWARD.size(); i++) {
            String text = AWKWARD.get(i);
            boolean odd = i % 2 == 1;
            AuditEntry draft = new AuditEntry("ws", 0, null, odd ? previous.at() : previous.at() + 1, "user", odd ? null : "cred", "static",
                    text, "req-" + i, "view", "secret", odd ? text : null, "prj", "env", odd ? "{\"was\":true}" : null,
                    odd ? previous.afterJson() : "{\"secrets\":[" + "\"" + i + "\"]}", "success", null, null);
            AuditEntry entry = draft.chainedEntry(previous.seq() + 1, AuditEntry.entryId(firstId, i + 1), previous.hash());
            assertThat(entry.hash()).isEqualTo(AuditEntry.sha256(entry.canonical()));
            String line = entry.compactLine(previous);
            assertThat(line).as("only what differs").doesNotContain("\"projectId\"").doesNotContain("\"prevHash\"").doesNotContain("\"id\"");
            assertThat(AuditEntry.parse(line, previous, head)).as(line).isEqualTo(entry);
            previous = entry;
        }
        // a read like the one before it, another request: a short line, not the whole entry again
        AuditEntry again = new AuditEntry("ws", 0, null, previous.at(), previous.actorUserId(), previous.credentialId(), "static",
                previous.clientAddress(), "req-again", "view", "secret", previous.entityId(), "prj", "env", previous.beforeJson(),
                previous.afterJson(), "success", null, null).chainedEntry(previous.seq() + 1, AuditEntry.entryId(firstId, AWKWARD.size() + 1),
                previous.hash());
        AuditEntry last = previous;
        String line = again.compactLine(last);
        assertThat(line).isEqualTo("{\"seq\":" + again.seq() + ",\"requestId\":\"req-again\",\"hash\":\"" + again.hash() + "\"}");
        assertThat(AuditEntry.parse(line, last, head)).isEqualTo(again);
        // a compact line may not name its id or previous hash (they are implied), nor stand first in its group
        assertThatThrownBy(() -> AuditEntry.parse(line.replace("{\"seq\":" + again.seq(), "{\"seq\":" + again.seq() + ",\"id\":\"x\""), last, head))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AuditEntry.parse(line.replace("\"hash\"", "\"prevHash\":\"x\",\"hash\""), last, head))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AuditEntry.parse(line.replace("{\"seq\":" + again.seq(), "{\"seq\":" + head.seq()), last, head))
                .as("a sequence number not after the group's first").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AuditEntry.parse(line)).as("read as a first line, it lacks the fields it did not repeat")
                .isInstanceOf(IllegalArgumentException.class);
        // an export line names every field
        String full = first.line();
        assertThatThrownBy(() -> AuditEntry.parse(full.replace(",\"outcome\":\"success\"", ""))).isInstanceOf(IllegalArgumentException.class);
    }

    /** The canonical line as the generator writes it (how entries were written before, and how a reader may). */
    private static String jackson(AuditEntry e) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("workspaceId", e.workspaceId());
            g.writeNumberField("seq", e.seq());
            g.writeStringField("id", e.id());
            g.writeNumberField("at", e.at());
            g.writeStringField("actorUserId", e.actorUserId());
            g.writeStringField("credentialId", e.credentialId());
            g.writeStringField("credentialKind", e.credentialKind());
            g.writeStringField("clientAddress", e.clientAddress());
            g.writeStringField("requestId", e.requestId());
            g.writeStringField("action", e.action());
            g.writeStringField("entityType", e.entityType());
            g.writeStringField("entityId", e.entityId());
            g.writeStringField("projectId", e.projectId());
            g.writeStringField("environmentId", e.environmentId());
            g.writeFieldName("before");
            if (e.beforeJson() == null) g.writeNull(); else g.writeRawValue(e.beforeJson());
            g.writeFieldName("after");
            if (e.afterJson() == null) g.writeNull(); else g.writeRawValue(e.afterJson());
            g.writeStringField("outcome", e.outcome());
            g.writeStringField("prevHash", e.prevHash());
            g.writeEndObject();
        }
        return out.toString();
    }
}
