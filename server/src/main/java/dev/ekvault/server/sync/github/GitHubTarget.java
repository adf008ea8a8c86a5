package dev.ekvault.server.sync.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * GitHub Actions secrets, of a repository or of one of its deployment environments, through the REST API version
 * 2022-11-28 ("Actions secrets": {@code GET …/secrets/public-key}, {@code PUT …/secrets/{name}} with
 * {@code encrypted_value} and {@code key_id}, {@code DELETE …/secrets/{name}}; environment secrets under
 * {@code /repos/{owner}/{repo}/environments/{environment_name}/secrets}). Each value is sealed for the repository's
 * (or environment's) public key with libsodium's sealed box ({@link SealedBox}); the key is fetched once per push.
 *
 * <p>Keys that cannot be GitHub secret names ({@code [A-Za-z_][A-Za-z0-9_]*}, no {@code GITHUB_} prefix; GitHub
 * upper-cases them, so two keys differing only in case would clash) and values over GitHub's 48 KB are not sent: the
 * rest of the push goes through, then the push fails with a reason naming the keys left out, so the sync's status
 * says what is missing until they are renamed (the engine retries with backoff; every retry rewrites the same values,
 * which is harmless). Deletes only remove what this sync wrote (the engine's deleted keys), never other secrets of
 * the repository.
 */
public final class GitHubTarget implements SyncTarget {
    static final String DEFAULT_API = "https://api.github.com";
    static final String API_VERSION = "2022-11-28";
    /** GitHub's limit on one secret's value. */
    static final int MAX_VALUE_BYTES = 48 * 1024;
    /** GitHub's advice after a secondary rate limit that names no wait: at least a minute. */
    static final long SECONDARY_WAIT_MILLIS = 60_000;
    private static final Pattern SECRET_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,199}");
    private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})");
    private static final Pattern REPO = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    /** Printable ASCII without spaces: every kind of GitHub token (ghp_, github_pat_, gho_, ghs_ …). */
    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]{8,255}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BoundedFetch fetch;
    private final boolean allowHttp;

    public GitHubTarget(BoundedFetch fetch, boolean allowHttp) {
        this.fetch = fetch;
        this.allowHttp = allowHttp;
    }

    @Override
    public String slug() {
        return "github";
    }

    @Override
    public String title() {
        return "GitHub Actions";
    }

    @Override
    public List<Field> form(String step) {
        if (step.equals("auth")) {
            return List.of(
                    Field.of("token", "Access token", "secret", true,
                            "A fine-grained token with the repository's 'Secrets' (and for environments 'Environments') permission set to read "
                                    + "and write, or a classic token with 'repo'. Kept sealed; never shown again."),
                    Field.of("apiUrl", "API URL", "url", false,
                            "Leave empty for github.com; for GitHub Enterprise Server: https://HOST/api/v3."));
        }
        return List.of(
                Field.of("repository", "Repository", "text", true, "owner/name"),
                Field.of("environment", "Deployment environment", "text", false,
                        "Leave empty for repository secrets; a name for that environment's secrets."));
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
            if (!TOKEN.matcher(token).matches()) throw ApiException.badRequest("field 'token' must be 8 to 255 printable characters without spaces");
            String apiUrl = answers.getOrDefault("apiUrl", "").strip();
            if (apiUrl.isEmpty()) apiUrl = DEFAULT_API;
            if (apiUrl.length() > 2048) throw ApiException.badRequest("field 'apiUrl' must be at most 2048 characters");
            while (apiUrl.endsWith("/")) apiUrl = apiUrl.substring(0, apiUrl.length() - 1);
            URI base;
            try {
                base = BoundedFetch.url(apiUrl, "field 'apiUrl'", allowHttp);
            } catch (BoundedFetch.Failed e) {
                throw ApiException.badRequest("field 'apiUrl' must be an https URL with a host, without user info or fragment");
            }
            if (base.getRawQuery() != null) throw ApiException.badRequest("field 'apiUrl' must not have a query");
            // the token is tried once: a typo is better said now than at the first push
            int status = wizardCall(new Api(apiUrl, token), "GET", "/user", "apiUrl");
            if (status == 401) throw ApiException.badRequest("field 'token' was refused by GitHub (401): check it has not expired");
            if (status != 200 && status != 403) {
                // 403: some tokens (GitHub App ones) may not read /user yet can manage secrets; the target step checks the repository
                throw ApiException.badRequest("field 'apiUrl': GitHub answered " + status + " to GET /user; is this the API URL?");
            }
            return new Accepted(Map.of("apiUrl", apiUrl), token, Map.of());
        }
        if (credential == null) throw ApiException.conflict("finish the 'auth' step of this sync first");
        String repository = answers.getOrDefault("repository", "").strip();
        if (repository.isEmpty()) throw ApiException.badRequest("field 'repository' is required");
        String[] parts = repository.split("/", -1);
        if (parts.length != 2 || !OWNER.matcher(parts[0]).matches() || !REPO.matcher(parts[1]).matches()
                || parts[1].equals(".") || parts[1].equals("..")) {
            throw ApiException.badRequest("field 'repository' must be owner/name");
        }
        String environment = answers.getOrDefault("environment", "").strip();
        if (environment.length() > 255) throw ApiException.badRequest("field 'environment' must be at most 255 characters");
        if (environment.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) throw ApiException.badRequest("field 'environment' must not hold control characters");
        Api api = new Api(settingsSoFar.getOrDefault("apiUrl", DEFAULT_API), credential);
        int repo = wizardCall(api, "GET", "/repos/" + parts[0] + "/" + parts[1], "repository");
        if (repo == 401) throw ApiException.badRequest("field 'repository': GitHub refused the token (401); go back to the 'auth' step");
        if (repo != 200) throw ApiException.badRequest("field 'repository': GitHub answered " + repo + "; it does not exist or the token may not see it");
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("repository", parts[0] + "/" + parts[1]);
        settings.put("environment", environment);
        if (!environment.isEmpty()) {
            int env = wizardCall(api, "GET", "/repos/" + settings.get("repository") + "/environments/" + segment(environment), "environment");
            if (env != 200) throw ApiException.badRequest("field 'environment': GitHub answered " + env + "; the repository has no such environment or the token may not see it");
        }
        int key = wizardCall(api, "GET", secretsPath(settings) + "/public-key", environment.isEmpty() ? "repository" : "environment");
        if (key != 200) {
            throw ApiException.badRequest("field '" + (environment.isEmpty() ? "repository" : "environment") + "': the token may not manage its Actions secrets (GitHub answered "
                    + key + " to GET …/secrets/public-key)");
        }
        return Accepted.settings(settings);
    }

    /** A wizard's check: the status, or a 400 naming {@code field} when GitHub could not be reached (never the token). */
    private int wizardCall(Api api, String method, String path, String field) {
        try {
            return api.call(method, path, null).status();
        } catch (Failure e) {
            throw ApiException.badRequest("field '" + field + "': GitHub could not be reached (" + e.getMessage() + ")");
        }
    }

    @Override
    public void push(Push push) throws Failure {
        Map<String, String> settings = push.settings();
        String base = settings.getOrDefault("apiUrl", DEFAULT_API);
        if (settings.get("repository") == null) throw new Failure("this sync has no repository; finish its wizard", null);
        Api api = new Api(base, push.credential());
        String secrets = secretsPath(settings);
        long now = push.at();

        // which keys can be GitHub secrets, and under which (upper-cased) name
        Map<String, List<String>> byName = new HashMap<>();
        for (String key : push.values().keySet()) {
            if (nameProblem(key) == null) byName.computeIfAbsent(key.toUpperCase(Locale.ROOT), n -> new ArrayList<>()).add(key);
        }
        Map<String, String> skipped = new TreeMap<>();
        for (String key : push.changed()) {
            String problem = nameProblem(key);
            if (problem == null && byName.get(key.toUpperCase(Locale.ROOT)).size() > 1) problem = "same name as another key once upper-cased";
            if (problem == null && push.values().get(key).getBytes(StandardCharsets.UTF_8).length > MAX_VALUE_BYTES) problem = "value over 48 KB";
            if (problem != null) skipped.put(key, problem);
        }
        List<String> writes = new ArrayList<>();
        for (String key : push.changed()) if (!skipped.containsKey(key)) writes.add(key);
        writes.sort(java.util.Comparator.comparing(k -> k.toUpperCase(Locale.ROOT))); // in the order GitHub lists them

        if (!writes.isEmpty()) {
            String what = "GET the Actions public key of " + settings.get("repository") + environmentLabel(settings);
            JsonNode key = json(check(api.call("GET", secrets + "/public-key", null), what, now), what);
            String keyId = key.path("key_id").asText("");
            byte[] publicKey;
            try {
                publicKey = Base64.getDecoder().decode(key.path("key").asText(""));
            } catch (IllegalArgumentException e) {
                publicKey = new byte[0];
            }
            if (keyId.isEmpty() || publicKey.length != SealedBox.PUBLIC_KEY_BYTES) throw new Failure(what + ": the answer holds no usable key", null);
            for (String k : writes) {
                String name = k.toUpperCase(Locale.ROOT);
                ObjectNode body = JSON.createObjectNode();
                body.put("encrypted_value", Base64.getEncoder().encodeToString(SealedBox.seal(push.values().get(k).getBytes(StandardCharsets.UTF_8), publicKey)));
                body.put("key_id", keyId);
                String put = "PUT secret " + name;
                check(api.call("PUT", secrets + "/" + name, bytes(body)), put, now);
            }
        }
        if (push.deleteMissing()) {
            Set<String> stillThere = new HashSet<>();
            for (String key : push.values().keySet()) stillThere.add(key.toUpperCase(Locale.ROOT));
            Set<String> deletes = new TreeSet<>();
            for (String key : push.deleted()) {
                // never pushed if it could not be a name; and a name another key still writes stays
                if (nameProblem(key) == null && !stillThere.contains(key.toUpperCase(Locale.ROOT))) deletes.add(key.toUpperCase(Locale.ROOT));
            }
            for (String name : deletes) {
                // 404: already gone (a retry of this push, or removed by hand): the same end state
                check(api.call("DELETE", secrets + "/" + name, null), "DELETE secret " + name, now, 404);
            }
        }
        if (!skipped.isEmpty()) {
            List<String> named = new ArrayList<>();
            for (Map.Entry<String, String> e : skipped.entrySet()) {
                if (named.size() == 5) {
                    named.add("and " + (skipped.size() - 5) + " more");
                    break;
                }
                named.add(e.getKey() + " (" + e.getValue() + ")");
            }
            throw new Failure("the other keys were written, but " + skipped.size() + " cannot be GitHub secrets: " + String.join(", ", named)
                    + "; names must be letters, digits and _, not start with a digit or GITHUB_", null);
        }
    }

    /**
     * {@link TargetCalls#expectAt}, plus GitHub's secondary rate limit answered without {@code Retry-After} or an
     * exhausted quota: a 403 or 429 whose message says "rate limit", after which GitHub asks for at least a minute's
     * wait. The body is only read to tell that from a refused token, never repeated.
     */
    private static BoundedFetch.Answer check(BoundedFetch.Answer answer, String what, long now, int... alsoFine) throws Failure {
        int status = answer.status();
        if ((status == 403 || status == 429) && TargetCalls.retryAfterMillis(answer, now) == null && answer.body() != null) {
            String message;
            try {
                message = JSON.readTree(answer.body()).path("message").asText("");
            } catch (IOException e) {
                message = "";
            }
            if (message.toLowerCase(Locale.ROOT).contains("rate limit")) {
                throw new Failure(what + ": the target answered " + status + " (secondary rate limit)", SECONDARY_WAIT_MILLIS);
            }
        }
        return TargetCalls.expectAt(answer, what, now, alsoFine);
    }

    /** Why {@code key} cannot be a GitHub secret name, or null when it can. */
    static String nameProblem(String key) {
        if (!SECRET_NAME.matcher(key).matches()) return "not letters, digits and _ or starts with a digit";
        if (key.toUpperCase(Locale.ROOT).startsWith("GITHUB_")) return "GITHUB_ prefix is reserved";
        return null;
    }

    private static String secretsPath(Map<String, String> settings) {
        String environment = settings.getOrDefault("environment", "");
        String repo = "/repos/" + settings.get("repository");
        return environment.isEmpty() ? repo + "/actions/secrets" : repo + "/environments/" + segment(environment) + "/secrets";
    }

    private static String environmentLabel(Map<String, String> settings) {
        String environment = settings.getOrDefault("environment", "");
        return environment.isEmpty() ? "" : " (environment " + environment + ")";
    }

    /** A path segment: GitHub wants an environment's name URL-encoded, a slash as %2F. */
    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static byte[] bytes(ObjectNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode json(BoundedFetch.Answer answer, String what) throws Failure {
        try {
            return JSON.readTree(answer.body());
        } catch (IOException e) {
            throw new Failure(what + ": the answer is not JSON", null);
        }
    }

    /** Calls to one GitHub API with one token, with the headers its REST API asks for. */
    private final class Api {
        private final String base;
        private final String token;

        Api(String base, String token) {
            this.base = base;
            this.token = token;
        }

        BoundedFetch.Answer call(String method, String path, byte[] body) throws Failure {
            URI uri;
            try {
                uri = BoundedFetch.url(base + path, "the GitHub API URL", allowHttp);
            } catch (BoundedFetch.Failed e) {
                throw new Failure(e.getMessage(), null);
            }
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Accept", "application/vnd.github+json");
            headers.put("X-GitHub-Api-Version", API_VERSION);
            headers.put("Authorization", "Bearer " + token);
            headers.put("User-Agent", "ek-sync"); // GitHub refuses calls without one
            if (body != null) headers.put("Content-Type", "application/json");
            return TargetCalls.call(fetch, method + " " + path, method, uri, headers, body);
        }
    }
}
