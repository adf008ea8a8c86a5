package dev.ekvault.server.audit;

import dev.ekvault.server.http.RequestContext;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.WireTime;

import java.util.regex.Pattern;

/** {@code /v1/workspace/{ws}/audit}: query, one entry, verification and export of the workspace's audit log. */
public final class AuditRoutes {
    private static final Pattern ACTION = Pattern.compile("[a-z][a-z-]{0,63}");
    private static final Pattern CURSOR = Pattern.compile("[0-9]{1,18}");
    private static final int MAX_ENTITY_ID = 128;

    private AuditRoutes() {}

    public static void register(Router router, AuditService audit) {
        String base = "/v1/workspace/{ws}/audit";
        router.get(base, "audit", ex -> audit.page(ex.caller(), ex.path("ws"), filter(ex), cursor(ex), limit(ex)));
        router.get(base + "/verify", "audit", ex -> audit.verify(ex.caller(), ex.path("ws"), notarised(ex)));
        router.get(base + "/export", "audit", ex -> audit.export(ex.caller(), ex.path("ws")));
        router.get(base + "/{id}", "audit", ex -> audit.one(ex.caller(), ex.path("ws"), ex.path("id")));
    }

    private static AuditStore.Filter filter(RequestContext ex) {
        String action = ex.query("action");
        if (action != null && !ACTION.matcher(action).matches()) throw ApiException.badRequest("query 'action' is not an action name");
        String entity = ex.query("entity");
        if (entity != null && (entity.isEmpty() || entity.length() > MAX_ENTITY_ID)) {
            throw ApiException.badRequest("query 'entity' must be 1 to " + MAX_ENTITY_ID + " characters");
        }
        Long from = time(ex, "from");
        Long to = time(ex, "to");
        if (from != null && to != null && from >= to) throw ApiException.badRequest("query 'from' must be before 'to'");
        return new AuditStore.Filter(uuid(ex, "actor"), uuid(ex, "credential"), action, entity, uuid(ex, "project"), uuid(ex, "environment"),
                from, to);
    }

    private static String uuid(RequestContext ex, String name) {
        String value = ex.query(name);
        if (value != null && !FieldRules.isUuid(value)) throw ApiException.badRequest("query '" + name + "' must be an id (UUID)");
        return value == null ? null : value.toLowerCase(java.util.Locale.ROOT);
    }

    private static Long time(RequestContext ex, String name) {
        return WireTime.parse(ex.query(name), name);
    }

    /** {@code ?seq=&hash=}: a head the log gave (the {@code "audit":"head"} line) that the chain must still reach and hold. */
    private static AuditLog.NotarisedHead notarised(RequestContext ex) {
        try {
            return AuditLog.NotarisedHead.parse(ex.query("seq"), ex.query("hash"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("query " + e.getMessage());
        }
    }

    private static Long cursor(RequestContext ex) {
        String value = ex.query("cursor");
        if (value == null) return null;
        if (!CURSOR.matcher(value).matches()) throw ApiException.badRequest("query 'cursor' is not a cursor this server gave");
        return Long.parseLong(value);
    }

    private static int limit(RequestContext ex) {
        String value = ex.query("limit");
        if (value == null) return 50;
        int limit;
        try {
            limit = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > AuditService.MAX_PAGE) throw ApiException.badRequest("query 'limit' must be 1 to " + AuditService.MAX_PAGE);
        return limit;
    }
}
