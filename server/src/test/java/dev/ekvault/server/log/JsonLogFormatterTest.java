package dev.ekvault.server.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.assertj.core.api.Assertions.assertThat;

class JsonLogFormatterTest {
    private final JsonLogFormatter formatter = new JsonLogFormatter();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void aStructuredRecordIsOneLineOfJsonWithItsFields() throws Exception {
        Map<String, Object> fields = new LinkedHashMap<>();
        String tricky = "quote \" backslash \\ newline \n tab \t bell \u0007 nul \u0000 sep \u2028 accent é emoji \uD83D\uDD11";
        fields.put("requestId", tricky);
        fields.put("status", 401);
        fields.put("durationMs", 0.42);
        fields.put("workspaceId", null);
        fields.put("odd", Double.NaN);
        LogRecord record = new LogRecord(Level.INFO, "request");
        record.setLoggerName("ek.request");
        record.setMillis(1_767_225_600_123L);
        record.setParameters(new Object[] {fields});

        String line = formatter.format(record);
        assertThat(line).endsWith(System.lineSeparator());
        assertThat(line.strip()).doesNotContain("\n").doesNotContain("\u2028");
        JsonNode parsed = json.readTree(line);
        assertThat(parsed.get("time").asText()).isEqualTo("2026-01-01T00:00:00.123Z");
        assertThat(parsed.get("level").asText()).isEqualTo("INFO");
        assertThat(parsed.get("logger").asText()).isEqualTo("ek.request");
        assertThat(parsed.get("message").asText()).isEqualTo("request");
        assertThat(parsed.get("requestId").asText()).isEqualTo(tricky);
        assertThat(parsed.get("status").isInt()).isTrue();
        assertThat(parsed.get("durationMs").asDouble()).isEqualTo(0.42);
        assertThat(parsed.get("workspaceId").isNull()).isTrue();
        assertThat(parsed.get("odd").asText()).isEqualTo("NaN");
    }

    @Test
    void aPlainRecordWithAThrowable() throws Exception {
        LogRecord record = new LogRecord(Level.SEVERE, "failed {0}");
        record.setLoggerName("x");
        record.setParameters(new Object[] {"once"});
        record.setThrown(new IllegalStateException("boom"));
        JsonNode parsed = json.readTree(formatter.format(record));
        assertThat(parsed.get("message").asText()).isEqualTo("failed once");
        assertThat(parsed.get("error").asText()).contains("IllegalStateException: boom").contains("\n\tat ");
    }
}
