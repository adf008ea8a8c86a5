package dev.ekvault.server.secret;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.http.RawBody;
import dev.ekvault.server.http.RequestContext;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.JsonInput;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;

import java.util.List;

/** {@code /v1/workspace/{ws}/project/{prj}/secret}: parses and validates the wire shapes, then calls the service. */
public final class SecretRoutes {
    private SecretRoutes() {}

    public static void register(Router router, SecretService secrets, ObjectMapper json) {
        SecretRules rules = secrets.rules();
        String base = "/v1/workspace/{ws}/project/{prj}/secret";
        router.get(base, "secret", ex -> secrets.listAnswer(ex.caller(), ex.path("ws"), ex.path("prj"), environmentId(ex), resolve(ex), at(ex), json));
        // "export" is also a valid secret name, and the SDKs read one secret with GET …/secret/{key}: the literal route
        // wins the match (Router: a literal segment beats a parameter), so it is an export only when it asks for a
        // format, and otherwise the secret named "export", exactly as GET …/secret/{key} would answer it.
        router.get(base + "/export", "secret", ex -> {
            String format = ex.query("format");
            if (format == null) return secrets.get(ex.caller(), ex.path("ws"), ex.path("prj"), "export", environmentId(ex), resolve(ex), at(ex));
            SecretExport.File file = SecretExport.answer(secrets, ex.caller(), ex.path("ws"), ex.path("prj"), environmentId(ex), format, resolve(ex), json);
            if (format.equals("dotenv")) ex.responseHeaders().put("Content-Disposition", "attachment; filename=\".env\"");
            return new RawBody(file.contentType(), file.bytes());
        });
        router.get(base + "/{key}", "secret",
                ex -> secrets.get(ex.caller(), ex.path("ws"), ex.path("prj"), ex.path("key"), environmentId(ex), resolve(ex), at(ex)));
        router.get(base + "/{secretId}/versions", "secret", ex -> secrets.versions(ex.caller(), ex.path("ws"), ex.path("prj"),
                ex.path("secretId"), environmentId(ex), "true".equalsIgnoreCase(ex.query("includeValues"))));
        router.post(base + "/{secretId}/rollback", "secret", ex -> {
            JsonInput body = ex.body();
            return secrets.rollback(ex.caller(), ex.path("ws"), ex.path("prj"), ex.path("secretId"),
                    FieldRules.uuid(body.requiredString("environmentId"), "environmentId"),
                    body.requiredLong("version", 1, Long.MAX_VALUE), body.optionalBoolean("isPersonal", false));
        });
        String deleted = "/v1/workspace/{ws}/project/{prj}/deleted-secret";
        router.get(deleted, "secret", ex -> secrets.deleted(ex.caller(), ex.path("ws"), ex.path("prj")));
        router.post(deleted + "/{secretId}/restore", "secret",
                ex -> secrets.restore(ex.caller(), ex.path("ws"), ex.path("prj"), ex.path("secretId")));
        router.post(base, "secret", ex -> {
            JsonInput body = ex.body();
            List<String> environments = body.requiredArray("environments", rules.limits.maxEnvironmentsPerRequest(),
                    e -> FieldRules.uuid(e.asString(), e.path()));
            List<SecretService.NewSecret> created = body.requiredArray("secrets", rules.limits.maxSecretsPerRequest(), e -> {
                JsonInput s = e.asObject();
                return new SecretService.NewSecret(
                        rules.key(s.requiredString("key"), s.pathOf("key")),
                        rules.value(s.requiredString("value"), s.pathOf("value")),
                        rules.kind(s.optionalString("type", "runtime"), s.pathOf("type")),
                        rules.kind(s.optionalString("dataType", "text"), s.pathOf("dataType")));
            });
            SecretService.Mode mode = switch (body.optionalString("mode", "create")) {
                case "create" -> SecretService.Mode.CREATE;
                case "upsert" -> SecretService.Mode.UPSERT;
                default -> throw ApiException.badRequest("field 'mode' must be create or upsert");
            };
            return Reply.created(secrets.create(ex.caller(), ex.path("ws"), ex.path("prj"), environments, created, mode));
        });
        router.put(base + "/{secretId}", "secret", ex -> {
            JsonInput body = ex.body();
            String name = body.optionalString("name", null);
            String note = body.optionalString("note", null);
            String type = body.optionalString("type", null);
            String dataType = body.optionalString("dataType", null);
            List<SecretService.ValueChange> values = !body.has("values") ? List.of()
                    : body.requiredArray("values", 2 * rules.limits.maxEnvironmentsPerRequest(), e -> {
                        JsonInput v = e.asObject();
                        // an entry with a reminder (or reminder: null) may leave its value out: only the reminder changes
                        ReminderService.Edit reminder = ReminderService.parse(v);
                        String value = reminder == null ? v.requiredString("value") : v.optionalString("value", null);
                        if (value != null) rules.checkSize(value, v.pathOf("value"));
                        return new SecretService.ValueChange(FieldRules.uuid(v.requiredString("environmentId"), v.pathOf("environmentId")),
                                value, v.optionalBoolean("isPersonal", false), reminder);
                    });
            SecretService.Update update = new SecretService.Update(
                    name == null ? null : rules.key(name, "name"),
                    note == null ? null : rules.note(note, "note"),
                    type == null ? null : rules.kind(type, "type"),
                    dataType == null ? null : rules.kind(dataType, "dataType"),
                    values);
            return secrets.update(ex.caller(), ex.path("ws"), ex.path("prj"), ex.path("secretId"), update);
        });
        router.delete(base + "/{secretId}", "secret", ex -> {
            secrets.delete(ex.caller(), ex.path("ws"), ex.path("prj"), ex.path("secretId"));
            return Reply.noContent();
        });
    }

    /** The clients spell it both ways. */
    private static String environmentId(RequestContext ex) {
        String id = ex.query("environmentId");
        if (id == null) id = ex.query("environment_id");
        // ids are stored lowercase; an uppercase spelling of the same UUID names the same environment
        return id != null && FieldRules.isUuid(id) ? id.toLowerCase(java.util.Locale.ROOT) : id;
    }

    /** {@code at}: read the project as it was at that time (ISO-8601). */
    private static Long at(RequestContext ex) {
        return WireTime.parse(ex.query("at"), "at");
    }

    private static boolean resolve(RequestContext ex) {
        return "true".equalsIgnoreCase(ex.query("resolve"));
    }
}
