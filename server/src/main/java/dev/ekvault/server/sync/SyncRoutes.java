package dev.ekvault.server.sync;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.RequestContext;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.wire.ApiException;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sync integrations: the setup wizard under {@code /v1/sync/{slug}} (as the Enkryptify API names it: start, then the
 * flow's steps) and a workspace's syncs under {@code /v1/workspace/{ws}/sync}.
 */
public final class SyncRoutes {
    private SyncRoutes() {}

    /** A step's answers: the body's fields, each a string or a boolean (a form's values), at most this many. */
    private static final int MAX_FIELDS = 32;

    public static void register(Router router, SyncService syncs) {
        router.get("/v1/sync", "sync", ex -> syncs.providers(ex.caller()));
        router.post("/v1/sync/{slug}/start", "sync", ex -> Reply.created(syncs.start(ex.caller(), ex.path("slug"))));
        router.get("/v1/sync/{slug}/flow", "sync",
                ex -> syncs.form(ex.caller(), ex.path("slug"), ex.query("syncConfigId"), ex.query("step")));
        router.post("/v1/sync/{slug}/flow", "sync",
                ex -> syncs.submit(ex.caller(), ex.path("slug"), ex.query("syncConfigId"), ex.query("step"), answers(ex)));
        String base = "/v1/workspace/{ws}/sync";
        router.get(base, "sync", ex -> syncs.list(ex.caller(), ex.path("ws")));
        router.get(base + "/{id}", "sync", ex -> syncs.get(ex.caller(), ex.path("ws"), ex.path("id")));
        router.post(base + "/{id}/pause", "sync", ex -> syncs.pause(ex.caller(), ex.path("ws"), ex.path("id")));
        router.post(base + "/{id}/resume", "sync", ex -> syncs.resume(ex.caller(), ex.path("ws"), ex.path("id")));
        router.post(base + "/{id}/run", "sync", ex -> syncs.runNow(ex.caller(), ex.path("ws"), ex.path("id")));
        router.delete(base + "/{id}", "sync", ex -> {
            syncs.delete(ex.caller(), ex.path("ws"), ex.path("id"));
            return Reply.noContent();
        });
    }

    private static Map<String, String> answers(RequestContext ex) {
        JsonNode body = ex.body().node();
        Map<String, String> answers = new LinkedHashMap<>();
        if (body.size() > MAX_FIELDS) throw ApiException.badRequest("the body has " + body.size() + " fields; at most " + MAX_FIELDS + " are read");
        for (Iterator<Map.Entry<String, JsonNode>> fields = body.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = field.getValue();
            if (value.isNull()) continue;
            if (!value.isTextual() && !value.isBoolean()) throw ApiException.badRequest("field '" + field.getKey() + "' must be a string or true/false");
            answers.put(field.getKey(), value.isBoolean() ? String.valueOf(value.booleanValue()) : value.textValue());
        }
        return answers;
    }
}
