package dev.ekvault.server.sync.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.outbound.BoundedFetch;
import dev.ekvault.server.outbound.TrustBundle;
import dev.ekvault.server.sync.SyncTarget;
import dev.ekvault.server.sync.TargetCalls;
import dev.ekvault.server.wire.ApiException;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One Kubernetes Secret (type {@code Opaque}) that holds an environment's values, written through the cluster's API
 * with a service account's bearer token, over TLS that trusts the cluster's own CA when one is given. It follows the
 * core/v1 Secret API (Kubernetes 1.2x–1.3x, {@code /api/v1/namespaces/{namespace}/secrets[/{name}]}): GET to read it,
 * POST to create it (201; 409 AlreadyExists when someone raced us), PUT of the whole object carrying the
 * {@code metadata.resourceVersion} we read, so a write that lost a race is refused with 409 Conflict rather than
 * overwriting (we read again and retry once). A Secret the sync creates is labelled
 * {@code app.kubernetes.io/managed-by: ek} and annotated with the sync's id; an existing Secret without that label
 * is someone else's and is never overwritten. Values go base64 in {@code data}; keys no longer in the environment go
 * when the sync deletes missing keys and stay otherwise.
 */
public final class KubernetesTarget implements SyncTarget {
    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String MANAGER = "ek";
    static final String SYNC_ID = "ekvault.dev/sync-id";
    /** Kubernetes refuses a Secret larger than 1 MiB (etcd's object limit); we say so before it does. */
    static final int MAX_SECRET_BYTES = 1024 * 1024;
    static final int MAX_TOKEN = 16 * 1024;
    static final int MAX_BUNDLE = 64 * 1024;
    private static final Pattern LABEL = Pattern.compile("[a-z0-9](?:[-a-z0-9]*[a-z0-9])?");
    private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*");
    /** What Kubernetes accepts as a Secret's data key (IsConfigMapKey); ours ({@code [A-Za-z0-9_-]+}) fits. */
    private static final Pattern KEY = Pattern.compile("[-._a-zA-Z0-9]+");
    /** A bearer token goes in a header: visible ASCII only, so nothing can end the header early. */
    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]+");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BoundedFetch systemTrust;
    private final Duration timeout;
    private final boolean allowHttp;
    /** A client per CA bundle in use (by its hash), so pushes reuse connections; few clusters, so a small LRU. */
    private final Map<String, BoundedFetch> byBundle = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, BoundedFetch> eldest) {
            return size() > 16;
        }
    };

    /** {@code systemTrust}: the client for clusters whose certificate the system trust store vouches for. */
    public KubernetesTarget(BoundedFetch systemTrust, Duration timeout, boolean allowHttp) {
        this.systemTrust = systemTrust;
        this.timeout = timeout;
        this.allowHttp = allowHttp;
    }

    @Override
    public String slug() {
        return "kubernetes";
    }

    @Override
    public String title() {
        return "Kubernetes Secret";
    }

    @Override
    public List<Field> form(String step) {
        if (step.equals("auth")) {
            return List.of(
                    Field.of("server", "API server URL", "url", true,
                            "https only, e.g. https://203.0.113.10:6443 (kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')."),
                    Field.of("token", "Service account token", "secret", true,
                            "A bearer token allowed to get, create and update Secrets in the namespace (kubectl create token …). Never shown again."),
                    Field.of("caBundle", "CA certificate (PEM)", "textarea", false,
                            "The cluster's CA certificate(s), -----BEGIN CERTIFICATE----- blocks (ca.crt). Empty: the system trust store is used."));
        }
        return List.of(
                Field.of("namespace", "Namespace", "text", true, "The namespace of the Secret (a DNS-1123 label); it must exist."),
                Field.of("secretName", "Secret name", "text", true,
                        "Created if missing. An existing Secret is only written when it is labelled app.kubernetes.io/managed-by=ek."));
    }

    @Override
    public Accepted accept(String step, Map<String, String> answers, Map<String, String> settingsSoFar) {
        if (step.equals("auth")) {
            String server = server(answers.getOrDefault("server", ""));
            String token = token(answers.getOrDefault("token", ""));
            String bundle = bundle(answers.getOrDefault("caBundle", ""));
            return new Accepted(Map.of("server", server, "caBundle", bundle), token, Map.of());
        }
        return Accepted.settings(Map.of("namespace", namespace(answers), "secretName", secretName(answers)));
    }

    /** The target step asks the cluster (outside any transaction, as the wizard calls it): see {@link #checkTarget}. */
    @Override
    public Accepted accept(String step, Map<String, String> answers, Map<String, String> settingsSoFar, String credential) {
        if (step.equals("target")) checkTarget(answers, settingsSoFar, credential);
        return accept(step, answers, settingsSoFar);
    }

    /** Does the namespace exist, may the token read the Secret, is it ours to write? */
    private void checkTarget(Map<String, String> answers, Map<String, String> settingsSoFar, String credential) {
        String namespace = namespace(answers);
        String name = secretName(answers);
        if (credential == null || !settingsSoFar.containsKey("server")) throw ApiException.conflict("finish the 'auth' step of this sync first");
        BoundedFetch fetch;
        try {
            fetch = fetch(settingsSoFar.getOrDefault("caBundle", ""));
        } catch (TrustBundle.Invalid e) {
            throw ApiException.badRequest("field 'caBundle' " + e.getMessage());
        }
        String server = settingsSoFar.get("server");
        BoundedFetch.Answer secret = ask(fetch, "GET", URI.create(server + secretPath(namespace, name)), credential);
        switch (secret.status()) {
            case 200 -> {
                if (!managed(read(secret))) {
                    throw ApiException.badRequest("field 'secretName' names a Secret that exists and is not managed by ek (no label "
                            + MANAGED_BY + "=" + MANAGER + "); it is left alone: choose another name");
                }
            }
            case 404 -> {
                // a Secret that does not exist yet is fine (it is created); a namespace that does not exist is not.
                // A token confined to its namespace may not read namespaces (403): then the first push will tell.
                if (ask(fetch, "GET", URI.create(server + "/api/v1/namespaces/" + namespace), credential).status() == 404) {
                    throw ApiException.badRequest("field 'namespace' names a namespace the cluster does not have");
                }
            }
            case 401 -> throw ApiException.badRequest("field 'token' was not accepted by the API server (401)");
            case 403 -> throw ApiException.badRequest("field 'token' may not read Secrets in that namespace (403): grant it get, create and update on secrets");
            default -> throw ApiException.badRequest("field 'server' answered " + secret.status() + " when the Secret was read; try again");
        }
    }

    private BoundedFetch.Answer ask(BoundedFetch fetch, String method, URI uri, String token) {
        try {
            return fetch.send(method, uri, headers(token), null, TargetCalls.ANSWER_CAP);
        } catch (BoundedFetch.Failed e) {
            if (e.tls()) throw ApiException.badRequest("field 'caBundle' does not vouch for the API server's certificate (TLS failed)");
            throw ApiException.badRequest("field 'server' did not answer (" + e.getMessage() + ")");
        }
    }

    @Override
    public void push(Push push) throws Failure {
        Map<String, String> settings = push.settings();
        String namespace = settings.get("namespace");
        String name = settings.get("secretName");
        BoundedFetch fetch;
        try {
            fetch = fetch(settings.getOrDefault("caBundle", ""));
        } catch (TrustBundle.Invalid e) {
            throw new Failure("the CA bundle " + e.getMessage(), null);
        }
        Map<String, String> wanted = new TreeMap<>();
        long size = 0;
        for (Map.Entry<String, String> e : push.values().entrySet()) {
            if (!key(e.getKey())) throw new Failure("the key '" + e.getKey() + "' cannot be a Kubernetes Secret key ([-._a-zA-Z0-9]+)", null);
            byte[] value = e.getValue().getBytes(StandardCharsets.UTF_8);
            size += e.getKey().length() + value.length;
            wanted.put(e.getKey(), Base64.getEncoder().encodeToString(value));
        }
        if (size > MAX_SECRET_BYTES) throw new Failure("the environment's values exceed the 1 MiB a Kubernetes Secret may hold", null);
        URI one = URI.create(settings.get("server") + secretPath(namespace, name));
        URI all = URI.create(settings.get("server") + "/api/v1/namespaces/" + namespace + "/secrets");
        String where = "Secret " + namespace + "/" + name;
        Map<String, String> headers = headers(push.credential());
        // a write that lost a race (409) reads again and tries once more; a second loss waits for the next attempt
        for (int attempt = 0; attempt < 2; attempt++) {
            BoundedFetch.Answer current = call(fetch, "GET the " + where, "GET", one, headers, null);
            if (current.status() == 404) {
                ObjectNode created = JSON.createObjectNode();
                created.put("apiVersion", "v1");
                created.put("kind", "Secret");
                ObjectNode metadata = created.putObject("metadata");
                metadata.put("name", name);
                metadata.put("namespace", namespace);
                mark(metadata, push.syncId());
                created.put("type", "Opaque");
                ObjectNode data = created.putObject("data");
                wanted.forEach(data::put);
                BoundedFetch.Answer answer = call(fetch, "create the " + where, "POST", all, headers, bytes(created));
                if (answer.status() == 409) continue; // created meanwhile: read it and judge it like any other
                if (answer.status() == 404) throw new Failure("create the " + where + ": the namespace '" + namespace + "' does not exist (404)", null);
                TargetCalls.expect(answer, "create the " + where);
                return;
            }
            TargetCalls.expect(current, "GET the " + where);
            JsonNode existing = read(current);
            if (!managed(existing)) {
                throw new Failure("the " + where + " exists and is not managed by ek (no label " + MANAGED_BY + "=" + MANAGER
                        + "); it is left alone", null);
            }
            if (existing.path("immutable").asBoolean(false)) {
                throw new Failure("the " + where + " is marked immutable; delete it and ek creates it again", null);
            }
            Map<String, String> data = new TreeMap<>();
            Map<String, String> before = new TreeMap<>();
            JsonNode oldData = existing.path("data");
            for (Iterator<Map.Entry<String, JsonNode>> it = oldData.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                before.put(e.getKey(), e.getValue().asText());
            }
            if (!push.deleteMissing()) data.putAll(before);
            data.putAll(wanted);
            if (data.equals(before) && push.syncId().equals(existing.path("metadata").path("annotations").path(SYNC_ID).asText())) {
                return; // already what it should be: a retry of a push that landed
            }
            ObjectNode replaced = (ObjectNode) existing;
            ObjectNode metadata = (ObjectNode) replaced.get("metadata");
            metadata.remove("managedFields"); // left out, the server keeps its own record
            mark(metadata, push.syncId());
            replaced.remove("stringData");
            ObjectNode newData = JSON.createObjectNode();
            data.forEach(newData::put);
            replaced.set("data", newData);
            // metadata.resourceVersion is the one we read: a write in between makes this a 409, never a lost update
            BoundedFetch.Answer answer = call(fetch, "replace the " + where, "PUT", one, headers, bytes(replaced));
            if (answer.status() == 409) continue;
            TargetCalls.expect(answer, "replace the " + where);
            return;
        }
        throw new Failure("the " + where + " kept changing while it was written (409 Conflict twice)", null);
    }

    /** Our marks: the label that says ek owns it, the annotation that says which sync; other labels stay. */
    private static void mark(ObjectNode metadata, String syncId) {
        JsonNode labels = metadata.get("labels");
        ObjectNode l = labels instanceof ObjectNode o ? o : metadata.putObject("labels");
        l.put(MANAGED_BY, MANAGER);
        JsonNode annotations = metadata.get("annotations");
        ObjectNode a = annotations instanceof ObjectNode o ? o : metadata.putObject("annotations");
        a.put(SYNC_ID, syncId);
    }

    private static boolean managed(JsonNode secret) {
        return MANAGER.equals(secret.path("metadata").path("labels").path(MANAGED_BY).asText(null));
    }

    /** A call through the target's client; a TLS failure says which setting to look at (never the certificate). */
    private static BoundedFetch.Answer call(BoundedFetch fetch, String what, String method, URI uri, Map<String, String> headers, byte[] body)
            throws Failure {
        try {
            return fetch.send(method, uri, headers, body, TargetCalls.ANSWER_CAP);
        } catch (BoundedFetch.Failed e) {
            if (e.tls()) throw new Failure(what + ": TLS to the API server failed (is the CA bundle the cluster's?)", null);
            throw new Failure(what + ": " + e.getMessage(), null);
        }
    }

    private static JsonNode read(BoundedFetch.Answer answer) {
        try {
            JsonNode node = JSON.readTree(answer.body());
            if (node instanceof ObjectNode && node.path("metadata") instanceof ObjectNode) return node;
        } catch (IOException e) {
            // the same as an answer of the wrong shape
        }
        return JSON.createObjectNode().set("metadata", JSON.createObjectNode());
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> headers(String token) {
        return Map.of("Authorization", "Bearer " + token, "Accept", "application/json", "Content-Type", "application/json",
                "User-Agent", "ek-sync");
    }

    private static String secretPath(String namespace, String name) {
        return "/api/v1/namespaces/" + namespace + "/secrets/" + name;
    }

    private BoundedFetch fetch(String bundle) throws TrustBundle.Invalid {
        if (bundle == null || bundle.isBlank()) return systemTrust;
        String id = sha256(bundle);
        synchronized (byBundle) {
            BoundedFetch known = byBundle.get(id);
            if (known != null) return known;
        }
        BoundedFetch made = new BoundedFetch(timeout, timeout, TrustBundle.context(TrustBundle.parse(bundle)));
        synchronized (byBundle) {
            byBundle.put(id, made);
        }
        return made;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean key(String key) {
        return key.length() <= 253 && KEY.matcher(key).matches() && !key.equals(".") && !key.startsWith("..");
    }

    /** The API server's base URL: https (http only where tests allow), a host, maybe a path prefix (a proxy), no query. */
    private String server(String raw) {
        String url = raw.strip();
        if (url.isEmpty()) throw ApiException.badRequest("field 'server' is required");
        if (url.length() > 2048) throw ApiException.badRequest("field 'server' must be at most 2048 characters");
        URI uri;
        try {
            uri = BoundedFetch.url(url, "field 'server'", allowHttp);
        } catch (BoundedFetch.Failed e) {
            throw ApiException.badRequest("field 'server' must be an https URL with a host, without user info or fragment");
        }
        if (uri.getRawQuery() != null) throw ApiException.badRequest("field 'server' must not have a query");
        while (url.endsWith("/")) url = url.substring(0, url.length() - 1);
        return url;
    }

    private static String token(String raw) {
        String token = raw.strip();
        if (token.isEmpty()) throw ApiException.badRequest("field 'token' is required");
        if (token.length() > MAX_TOKEN) throw ApiException.badRequest("field 'token' must be at most " + MAX_TOKEN + " characters");
        if (!TOKEN.matcher(token).matches()) throw ApiException.badRequest("field 'token' must be printable ASCII without spaces");
        return token;
    }

    private static String bundle(String raw) {
        String pem = raw.strip();
        if (pem.isEmpty()) return "";
        if (pem.length() > MAX_BUNDLE) throw ApiException.badRequest("field 'caBundle' must be at most " + MAX_BUNDLE + " characters");
        try {
            TrustBundle.parse(pem);
        } catch (TrustBundle.Invalid e) {
            throw ApiException.badRequest("field 'caBundle' " + e.getMessage());
        }
        return pem + "\n";
    }

    private static String namespace(Map<String, String> answers) {
        String namespace = answers.getOrDefault("namespace", "").strip();
        if (namespace.isEmpty()) throw ApiException.badRequest("field 'namespace' is required");
        if (namespace.length() > 63 || !LABEL.matcher(namespace).matches()) {
            throw ApiException.badRequest("field 'namespace' must be a DNS-1123 label: at most 63 lower-case letters, digits and '-', "
                    + "starting and ending with a letter or digit");
        }
        return namespace;
    }

    private static String secretName(Map<String, String> answers) {
        String name = answers.getOrDefault("secretName", "").strip();
        if (name.isEmpty()) throw ApiException.badRequest("field 'secretName' is required");
        if (name.length() > 253 || !SUBDOMAIN.matcher(name).matches()) {
            throw ApiException.badRequest("field 'secretName' must be a DNS-1123 subdomain: at most 253 lower-case letters, digits, '-' and '.', "
                    + "each part starting and ending with a letter or digit");
        }
        return name;
    }
}
