package dev.ekvault.server.gateway;

import dev.ekvault.server.access.Caller;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One JSON line per request. It holds the route template (not the raw path or query) and the credential's id,
 * never a header, a body, a token or a secret value.
 */
public final class RequestLog {
    private static final Logger LOG = Logger.getLogger("ek.request");

    public void log(String requestId, String method, String route, int status, double millis, Caller caller) {
        if (!LOG.isLoggable(Level.INFO)) return;
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("requestId", requestId);
        fields.put("method", method);
        fields.put("route", route);
        fields.put("status", status);
        fields.put("durationMs", Math.round(millis * 100) / 100.0);
        if (caller != null) {
            fields.put("workspaceId", caller.workspaceId());
            fields.put("credentialId", caller.credentialId());
        }
        LogRecord record = new LogRecord(Level.INFO, "request");
        record.setLoggerName(LOG.getName());
        record.setParameters(new Object[] {fields});
        LOG.log(record);
    }
}
