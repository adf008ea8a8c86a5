package dev.ekvault.server.gateway;

import dev.ekvault.server.access.Caller;
import dev.ekvault.server.wire.Refusal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One JSON line per request. It holds the route template (not the raw path or query) and the credential's id,
 * never a header, a body, a token or a secret value. A refused request (401, 403, 429) also names the client's address
 * (after trusted proxies) and the reason, from a fixed vocabulary ({@link Refusal}), never any part of the credential.
 */
public final class RequestLog {
    private static final Logger LOG = Logger.getLogger("ek.request");

    public void log(String requestId, String method, String route, int status, double millis, Caller caller, String client,
                    Refusal refusal) {
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
        if (refusal != null) {
            fields.put("client", client);
            fields.put("refusal", refusal.wire);
        }
        LogRecord record = new LogRecord(Level.INFO, "request");
        record.setLoggerName(LOG.getName());
        record.setParameters(new Object[] {fields});
        LOG.log(record);
    }
}
