package dev.ekvault.server.sync.vercel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.outbound.BoundedFetch;
import dev.ekvault.server.sync.SyncTarget;
import dev.ekvault.server.sync.TargetCalls;
import dev.ekvault.server.wire.ApiException;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A Vercel project's environment variables, for one of its three environments (Vercel calls them targets:
 * production, preview, development). Follows the Vercel REST API as documented in 2026: {@code GET /v2/user},
 * {@code GET /v9/projects/{idOrName}}, {@code GET /v10/projects/{idOrName}/env} (paged by {@code pagination.next}
 * passed back as {@code until}), {@code POST /v10/projects/{idOrName}/env?upsert=true} (one or many),
 * {@code PATCH} and {@code DELETE /v9/projects/{idOrName}/env/{id}}; Bearer token; {@code teamId} on every call when
 * the project is a team's; a 429 carries {@code X-RateLimit-Reset} (epoch seconds).
 *
 * <p>Only variables that apply to the chosen target and to no git branch are ever written. A Vercel variable may
 * apply to several targets at once with one value: when its value must change (or go) for ours, our target is taken
 * off it and the others keep their value untouched; ours then gets a variable of its own. Values are never read
 * back (the list is asked for without {@code decrypt}, and {@code sensitive} values cannot be read anyway): what to
 * write comes from what changed here. Each push lists first and then writes with upsert, so a retry converges and
 * never makes a duplicate.
 */
public final class VercelTarget implements SyncTarget {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String DEFAULT_API = "https://api.vercel.com";
    static final List<String> TARGETS = List.of("production", "preview", "development");
    /** Vercel's token: printable ASCII without spaces (it goes in a header). */
    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]{8,512}");
    private static final Pattern TEAM = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    /** A project id (prj_…) or name (lower-case letters, digits, '.', '_', '-'; at most 100). */
    private static final Pattern PROJECT = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    private static final Pattern ENV_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    /** Pages of the variable list followed at most (Vercel pages by tens; a project holds at most about a thousand). */
    private static final int MAX_PAGES = 200;
    /** Variables created per POST (the endpoint takes a list). */
    private static final int CREATE_BATCH = 50;

    private final BoundedFetch fetch;
    private final boolean allowHttp;

    public VercelTarget(BoundedFetch fetch, boolean allowHttp) {
        this.fetch = fetch;
        this.allowHttp = allowHttp;
    }

    @Override
    public String slug() {
        return "vercel";
    }

    @Override
    public String title() {
        return "Vercel";
    }

    @Override
    public List<Field> form(String step) {
        if (step.equals("auth")) {
            return List.of(Field.of("token", "Access token", "secret", true,
                            "A Vercel access token (Account settings → Tokens) that can manage the project's environment variables."),
                    Field.of("teamId", "Team ID", "text", false, "team_… when the project belongs to a team; empty for a personal project."),
                    Field.of("apiUrl", "API URL", "url", false, "Leave empty for " + DEFAULT_API + "."));
        }
        return List.of(Field.of("project", "Project", "text", true, "The Vercel project's id (prj_…) or name."),
                new Field("target", "Vercel environment", "select", true, "Which of the project's environments gets the secrets.",
                        List.of(new Option("production", "Production"), new Option("preview", "Preview"), new Option("development", "Development"))),
                new Field("type", "Variable type", "select", false,
                        "Sensitive values can never be read back in Vercel (production and preview only); encrypted ones can be read by the project's members.",
                        List.of(new Option("encrypted", "Encrypted"), new Option("sensitive", "Sensitive"))));
    }

    @Override
    public Accepted accept(String step, Map<String, String> answers, Map<String, String> settingsSoFar) {
        return accept(step, answers, settingsSoFar, null);
    }

    @Override
    public Accepted accept(String step, Map<String, String> answers, Map<String, String> settingsSoFar, String credential) {
        if (step.equals("auth")) {
            String token = answers.getOrDefault("token", "").strip();
            if (token.isEmpty()) throw ApiException.badRequest("field 'token' is required");
            if (!TOKEN.matcher(token).matches()) throw ApiException.badRequest("field 'token' must be 8 to 512 printable characters without spaces");
            String teamId = answers.getOrDefault("teamId", "").strip();
            if (!teamId.isEmpty() && !TEAM.matcher(teamId).matches()) {
                throw ApiException.badRequest("field 'teamId' must be 1 to 128 letters, digits, '_' or '-'");
            }
            String apiUrl = answers.getOrDefault("apiUrl", "").strip();
            if (apiUrl.isEmpty()) apiUrl = DEFAULT_API;
            if (apiUrl.length() > 2048) throw ApiException.badRequest("field 'apiUrl' must be at most 2048 characters");
            try {
                BoundedFetch.url(apiUrl, "field 'apiUrl'", allowHttp);
            } catch (BoundedFetch.Failed e) {
                throw ApiException.badRequest("field 'apiUrl' must be an https URL with a host, without user info or fragment");
            }
            if (apiUrl.endsWith("/")) apiUrl = apiUrl.substring(0, apiUrl.length() - 1);
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("apiUrl", apiUrl);
            settings.put("teamId", teamId);
            Api api = new Api(settings, token);
            BoundedFetch.Answer answer = api.wizardCall("GET", "/v2/user", "token");
            if (answer.status() == 401 || answer.status() == 403) throw ApiException.badRequest("field 'token' was refused by Vercel (" + answer.status() + ")");
            if (answer.status() != 200) throw ApiException.badRequest("field 'token' could not be checked: Vercel answered " + answer.status());
            return new Accepted(settings, token, Map.of());
        }
        if (credential == null) throw ApiException.conflict("finish the 'auth' step of this sync first");
        String project = answers.getOrDefault("project", "").strip();
        if (project.isEmpty()) throw ApiException.badRequest("field 'project' is required");
        if (!PROJECT.matcher(project).matches()) throw ApiException.badRequest("field 'project' must be a project id or name of 1 to 100 letters, digits, '.', '_' or '-'");
        String target = answers.getOrDefault("target", "").strip();
        if (!TARGETS.contains(target)) throw ApiException.badRequest("field 'target' must be production, preview or development");
        String type = answers.getOrDefault("type", "").strip();
        if (type.isEmpty()) type = "encrypted";
        if (!type.equals("encrypted") && !type.equals("sensitive")) throw ApiException.badRequest("field 'type' must be encrypted or sensitive");
        if (type.equals("sensitive") && target.equals("development")) {
            throw ApiException.badRequest("field 'type' cannot be sensitive for the development target (Vercel allows sensitive variables in production and preview only)");
        }
        Api api = new Api(settingsSoFar, credential);
        BoundedFetch.Answer answer = api.wizardCall("GET", "/v9/projects/" + project, "project");
        if (answer.status() == 404) throw ApiException.badRequest("field 'project' names no Vercel project this token can see" + (api.teamId.isEmpty() ? " (is it a team's? set 'teamId')" : " in this team"));
        if (answer.status() == 401 || answer.status() == 403) throw ApiException.badRequest("field 'project': Vercel refused the token (" + answer.status() + ")");
        if (answer.status() != 200) throw ApiException.badRequest("field 'project' could not be checked: Vercel answered " + answer.status());
        JsonNode found = parse(answer.body());
        String id = found == null ? "" : found.path("id").asText("");
        if (!PROJECT.matcher(id).matches()) throw ApiException.badRequest("field 'project' could not be checked: Vercel's answer had no project id");
        Map<String, String> settings = new LinkedHashMap<>();
        // the id, not the name: a renamed project keeps its id
        settings.put("project", id);
        String name = found.path("name").asText("");
        if (!name.isEmpty() && name.length() <= 100) settings.put("projectName", name);
        settings.put("target", target);
        settings.put("type", type);
        // Vercel needs the values themselves: the sync's status says so (the engine reads this setting)
        settings.put("sendValues", "true");
        return Accepted.settings(settings);
    }

    /** A variable of the project, as far as the sync cares: never its value. */
    record EnvVar(String id, String key, List<String> targets, String type, boolean branchOrCustom) {}

    @Override
    public void push(Push push) throws Failure {
        Api api = new Api(push.settings(), push.credential());
        String project = push.settings().get("project");
        String target = push.settings().get("target");
        String type = push.settings().getOrDefault("type", "encrypted");
        if (project == null || !PROJECT.matcher(project).matches() || !TARGETS.contains(target)) {
            throw new Failure("the sync's Vercel project or target is not set; run its wizard again", null);
        }
        String base = "/v9/projects/" + project + "/env/";
        Map<String, EnvVar> ours = new LinkedHashMap<>();
        for (EnvVar v : list(api, project)) {
            // a variable of a git branch or a custom environment is someone else's to manage
            if (!v.branchOrCustom() && v.targets().contains(target)) ours.putIfAbsent(v.key(), v);
        }
        List<String> create = new ArrayList<>();
        for (String key : push.changed()) {
            String value = push.values().get(key);
            if (value == null) continue;
            EnvVar existing = ours.get(key);
            if (existing == null) {
                create.add(key);
            } else if (existing.targets().size() == 1) {
                ObjectNode body = JSON.createObjectNode();
                body.put("value", value);
                // a sensitive variable stays sensitive (Vercel cannot turn it back); a plain one becomes our type
                if (!existing.type().equals(type) && !existing.type().equals("sensitive")) body.put("type", type);
                api.call("PATCH", base + existing.id(), body, "update of a variable in Vercel");
            } else {
                detach(api, base, existing, target);
                create.add(key);
            }
        }
        for (int from = 0; from < create.size(); from += CREATE_BATCH) {
            ArrayNode batch = JSON.createArrayNode();
            for (String key : create.subList(from, Math.min(create.size(), from + CREATE_BATCH))) {
                ObjectNode v = batch.addObject();
                v.put("key", key);
                v.put("value", push.values().get(key));
                v.put("type", type);
                v.putArray("target").add(target);
            }
            // upsert: should an earlier try of this push have created one already, it is updated, not duplicated
            JsonNode answer = api.call("POST", "/v10/projects/" + project + "/env", batch, "creation of variables in Vercel", "upsert=true");
            JsonNode failed = answer == null ? null : answer.get("failed");
            if (failed != null && failed.isArray() && !failed.isEmpty()) {
                Set<String> codes = new java.util.TreeSet<>();
                failed.forEach(f -> {
                    String code = f.path("error").path("code").asText("");
                    if (code.matches("[A-Za-z0-9_]{1,64}")) codes.add(code);
                });
                throw new Failure("Vercel refused " + failed.size() + " of the variables" + (codes.isEmpty() ? "" : " (" + String.join(", ", codes) + ")"), null);
            }
        }
        if (push.deleteMissing()) {
            for (String key : push.deleted()) {
                if (push.values().containsKey(key)) continue;
                EnvVar existing = ours.get(key);
                if (existing == null) continue;
                if (existing.targets().size() == 1) {
                    api.call("DELETE", base + existing.id(), null, "deletion of a variable in Vercel", 404);
                } else {
                    detach(api, base, existing, target);
                }
            }
        }
    }

    /** Takes our target off a variable shared with other targets; theirs keep its value. */
    private static void detach(Api api, String base, EnvVar shared, String target) throws Failure {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode targets = body.putArray("target");
        for (String t : shared.targets()) if (!t.equals(target)) targets.add(t);
        api.call("PATCH", base + shared.id(), body, "taking our target off a shared variable in Vercel");
    }

    private static List<EnvVar> list(Api api, String project) throws Failure {
        List<EnvVar> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String until = null;
        for (int page = 0; page < MAX_PAGES; page++) {
            JsonNode answer = api.call("GET", "/v10/projects/" + project + "/env", null, "listing the project's variables in Vercel",
                    until == null ? null : "until=" + URLEncoder.encode(until, StandardCharsets.UTF_8));
            JsonNode envs = answer == null ? null : answer.get("envs");
            if (envs == null || !envs.isArray()) throw new Failure("listing the project's variables in Vercel: the answer had no envs", null);
            for (JsonNode e : envs) {
                String id = e.path("id").asText("");
                String key = e.path("key").asText("");
                if (!ENV_ID.matcher(id).matches() || key.isEmpty() || !seen.add(id)) continue;
                List<String> targets = new ArrayList<>();
                JsonNode t = e.get("target");
                if (t != null && t.isArray()) t.forEach(x -> targets.add(x.asText()));
                else if (t != null && t.isTextual()) targets.add(t.asText());
                boolean branchOrCustom = !e.path("gitBranch").asText("").isEmpty()
                        || (e.path("customEnvironmentIds").isArray() && !e.path("customEnvironmentIds").isEmpty());
                out.add(new EnvVar(id, key, List.copyOf(targets), e.path("type").asText(""), branchOrCustom));
            }
            JsonNode next = answer.path("pagination").get("next");
            if (next == null || next.isNull() || envs.isEmpty()) return out;
            until = next.asText();
            if (until.isEmpty() || until.length() > 64) return out;
        }
        throw new Failure("listing the project's variables in Vercel: more than " + MAX_PAGES + " pages", null);
    }

    private static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) return null;
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    /** Calls with the token and the team scope; never logs or returns a header or a body it was not asked for. */
    private final class Api {
        final String apiUrl;
        final String teamId;
        final String token;

        Api(Map<String, String> settings, String token) {
            this.apiUrl = settings.getOrDefault("apiUrl", DEFAULT_API);
            this.teamId = settings.getOrDefault("teamId", "");
            this.token = token;
        }

        URI uri(String path, String query) throws BoundedFetch.Failed {
            StringBuilder q = new StringBuilder();
            if (query != null) q.append(query);
            if (!teamId.isEmpty()) q.append(q.isEmpty() ? "" : "&").append("teamId=").append(URLEncoder.encode(teamId, StandardCharsets.UTF_8));
            return BoundedFetch.url(apiUrl + path + (q.isEmpty() ? "" : "?" + q), "the Vercel API URL", allowHttp);
        }

        Map<String, String> headers() {
            return Map.of("Authorization", "Bearer " + token, "Accept", "application/json", "Content-Type", "application/json",
                    "User-Agent", "ek-sync");
        }

        /** A wizard's check: any answer comes back; no answer at all is a 400 naming the field. */
        BoundedFetch.Answer wizardCall(String method, String path, String field) {
            try {
                return fetch.send(method, uri(path, null), headers(), null, TargetCalls.ANSWER_CAP);
            } catch (BoundedFetch.Failed e) {
                throw ApiException.badRequest("field '" + field + "' could not be checked: Vercel did not answer");
            }
        }

        JsonNode call(String method, String path, JsonNode body, String what, String query, int... alsoFine) throws Failure {
            URI uri;
            try {
                uri = uri(path, query);
            } catch (BoundedFetch.Failed e) {
                throw new Failure(e.getMessage(), null);
            }
            byte[] bytes;
            try {
                bytes = body == null ? null : JSON.writeValueAsBytes(body);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            BoundedFetch.Answer answer = TargetCalls.expect(TargetCalls.call(fetch, what, method, uri, headers(), bytes), what, alsoFine);
            return parse(answer.body());
        }

        JsonNode call(String method, String path, JsonNode body, String what, int... alsoFine) throws Failure {
            return call(method, path, body, what, (String) null, alsoFine);
        }
    }
}
