package dev.ekvault.server.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Kubernetes cluster's OIDC issuer inside the test JVM, serving what kube-apiserver serves: the discovery document at
 * {@code /.well-known/openid-configuration} ({@code application/json}) and the key set at {@code /openid/v1/jwks}
 * ({@code application/jwk-set+json}), over HTTP on 127.0.0.1. It signs tokens shaped like projected service-account
 * tokens (RS256 with an RSA 2048 key by default; ES256 and EdDSA keys on request, each signed with the JDK, not with
 * the server's code), rotates keys, and can misbehave: go slow, answer 404, answer garbage, and so on. Every request
 * is counted. Token times come from the clock given (the server's {@link TestClock}), so no test sleeps.
 */
public final class TestIssuer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String JWKS_PATH = "/openid/v1/jwks";
    public static final String DISCOVERY_PATH = "/.well-known/openid-configuration";

    /** How the issuer answers every request. */
    public enum Mode {
        NORMAL,
        /** Holds every request until the mode changes or the issuer closes (beyond any fetch timeout). */
        SLOW,
        NOT_FOUND,
        /** 200 with an HTML page. */
        GARBAGE,
        /** 200 with the right JSON, labelled text/plain. */
        WRONG_CONTENT_TYPE,
        /** 200 with a JSON document of 200 KiB. */
        HUGE,
        /** A discovery document whose issuer is another one. */
        WRONG_ISSUER,
        /** 302 to the same document: redirects are not followed. */
        REDIRECT
    }

    /** A key of this issuer; {@code jwk} is its public half as published. */
    public record Key(String kid, String alg, KeyPair pair, JWK jwk) {}

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Clock clock;
    private final String issuer;
    private final List<Key> published = new CopyOnWriteArrayList<>();
    private volatile Key signing;
    private volatile Mode mode = Mode.NORMAL;
    private volatile String jwksContentType = "application/jwk-set+json";
    private volatile CountDownLatch slowRelease = new CountDownLatch(0);
    private final AtomicInteger discoveryRequests = new AtomicInteger();
    private final AtomicInteger jwksRequests = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private TestIssuer(Clock clock, String path) throws IOException {
        this.clock = clock;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        this.issuer = "http://127.0.0.1:" + server.getAddress().getPort() + path;
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
        this.signing = addKey("RS256");
    }

    /** An issuer at the root of its host, as kube-apiserver's usually is, with one RS256 key. */
    public static TestIssuer start(Clock clock) {
        return start(clock, "");
    }

    /** An issuer whose URL has a path (as managed clusters' issuers often do). */
    public static TestIssuer start(Clock clock, String path) {
        try {
            return new TestIssuer(clock, path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String issuer() {
        return issuer;
    }

    public Key signingKey() {
        return signing;
    }

    /** Generates and publishes a key for {@code alg} (RS256, ES256 or EdDSA); the signing key stays as it was. */
    public Key addKey(String alg) {
        Key key = newKey(alg);
        published.add(key);
        return key;
    }

    /** A key of the kind this issuer makes, never published (a forger's key). */
    public static Key newKey(String alg) {
        try {
            String kid = UUID.randomUUID().toString().replace("-", "");
            return switch (alg) {
                case "RS256" -> {
                    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                    generator.initialize(2048);
                    KeyPair pair = generator.generateKeyPair();
                    yield new Key(kid, alg, pair, new RSAKey.Builder((RSAPublicKey) pair.getPublic()).keyID(kid)
                            .keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).build());
                }
                case "ES256" -> {
                    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                    generator.initialize(new ECGenParameterSpec("secp256r1"));
                    KeyPair pair = generator.generateKeyPair();
                    yield new Key(kid, alg, pair, new ECKey.Builder(Curve.P_256, (ECPublicKey) pair.getPublic()).keyID(kid)
                            .keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).build());
                }
                case "EdDSA" -> {
                    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
                    byte[] spki = pair.getPublic().getEncoded(); // X.509 SubjectPublicKeyInfo: 12 bytes of header, then the 32-byte key
                    byte[] raw = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
                    yield new Key(kid, alg, pair, new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(raw)).keyID(kid)
                            .keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.EdDSA).build());
                }
                default -> throw new IllegalArgumentException(alg);
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Signs with {@code key} from now on (it must be published for the server to find it). */
    public void signWith(Key key) {
        this.signing = key;
    }

    /** A cluster replacing its key: a new RS256 key signs from now on, and the old one is no longer published. */
    public Key rotate() {
        Key old = signing;
        Key fresh = addKey("RS256");
        signing = fresh;
        published.remove(old);
        return fresh;
    }

    /** The public key set exactly as served ({@code kubectl get --raw /openid/v1/jwks}). */
    public String jwksJson() {
        return new JWKSet(published.stream().map(Key::jwk).toList()).toString(true);
    }

    /** Switches behaviour; leaving {@link Mode#SLOW} releases the requests it holds. */
    public void mode(Mode next) {
        if (next == Mode.SLOW) slowRelease = new CountDownLatch(1);
        this.mode = next;
        if (next != Mode.SLOW) slowRelease.countDown();
    }

    /** The Content-Type of the key set (kube-apiserver's is {@code application/jwk-set+json}). */
    public void jwksContentType(String contentType) {
        this.jwksContentType = contentType;
    }

    public int discoveryRequests() {
        return discoveryRequests.get();
    }

    public int jwksRequests() {
        return jwksRequests.get();
    }

    /** Requests being held by {@link Mode#SLOW} right now. */
    public int held() {
        return waiting.get();
    }

    // ---- tokens ----

    /** The claims of a projected service-account token for {@code namespace}/{@code name}, valid one hour from now. */
    public ObjectNode claims(String namespace, String name, String audience) {
        long now = Math.floorDiv(clock.millis(), 1000);
        ObjectNode claims = JSON.createObjectNode();
        claims.putArray("aud").add(audience);
        claims.put("exp", now + 3600);
        claims.put("iat", now);
        claims.put("iss", issuer);
        claims.put("jti", UUID.randomUUID().toString());
        ObjectNode kubernetes = claims.putObject("kubernetes.io");
        kubernetes.put("namespace", namespace);
        ObjectNode node = kubernetes.putObject("node");
        node.put("name", "kind-worker");
        node.put("uid", UUID.randomUUID().toString());
        ObjectNode pod = kubernetes.putObject("pod");
        pod.put("name", name + "-7d4f9c5b8-x2x9q");
        pod.put("uid", UUID.randomUUID().toString());
        ObjectNode serviceAccount = kubernetes.putObject("serviceaccount");
        serviceAccount.put("name", name);
        serviceAccount.put("uid", UUID.randomUUID().toString());
        claims.put("nbf", now);
        claims.put("sub", "system:serviceaccount:" + namespace + ":" + name);
        return claims;
    }

    /** The header kube-apiserver writes: alg and kid, nothing else. */
    public static ObjectNode header(Key key) {
        return JSON.createObjectNode().put("alg", key.alg()).put("kid", key.kid());
    }

    /** A projected service-account token signed with the current signing key. */
    public String token(String namespace, String name, String audience) {
        return sign(claims(namespace, name, audience));
    }

    public String sign(ObjectNode claims) {
        return sign(header(signing), claims, signing);
    }

    public static String sign(ObjectNode header, ObjectNode claims, Key key) {
        return sign(bytes(header), bytes(claims), key);
    }

    /** Signs raw header and payload bytes with {@code key} under its own algorithm (tests build hostile tokens with it). */
    public static String sign(byte[] header, byte[] payload, Key key) {
        String input = b64(header) + "." + b64(payload);
        try {
            Signature signer = Signature.getInstance(switch (key.alg()) {
                case "RS256" -> "SHA256withRSA";
                case "ES256" -> "SHA256withECDSAinP1363Format";
                case "EdDSA" -> "Ed25519";
                default -> throw new IllegalArgumentException(key.alg());
            });
            signer.initSign(key.pair().getPrivate());
            signer.update(input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + b64(signer.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static byte[] bytes(ObjectNode node) {
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    // ---- HTTP ----

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            boolean discovery = path.equals(basePath() + DISCOVERY_PATH);
            boolean jwks = path.equals(basePath() + JWKS_PATH);
            if (discovery) discoveryRequests.incrementAndGet();
            if (jwks) jwksRequests.incrementAndGet();
            Mode now = mode;
            if (now == Mode.SLOW) {
                waiting.incrementAndGet();
                try {
                    slowRelease.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    waiting.decrementAndGet();
                }
            }
            if (!discovery && !jwks || now == Mode.NOT_FOUND) {
                respond(exchange, 404, "application/json", "{\"kind\":\"Status\",\"status\":\"Failure\",\"code\":404}");
                return;
            }
            String json = discovery ? discoveryDocument(now == Mode.WRONG_ISSUER ? issuer + "/other" : issuer) : jwksJson();
            switch (now) {
                case GARBAGE -> respond(exchange, 200, "text/html", "<html><body>Welcome to nginx!</body></html>");
                case WRONG_CONTENT_TYPE -> respond(exchange, 200, "text/plain", json);
                case HUGE -> respond(exchange, 200, "application/json", "{\"padding\":\"" + "x".repeat(200 * 1024) + "\"}");
                case REDIRECT -> {
                    exchange.getResponseHeaders().set("Location", path);
                    exchange.sendResponseHeaders(302, -1);
                }
                default -> respond(exchange, 200, discovery ? "application/json" : jwksContentType, json);
            }
        }
    }

    private String basePath() {
        int slash = issuer.indexOf('/', "http://".length());
        return slash < 0 ? "" : issuer.substring(slash);
    }

    private String discoveryDocument(String named) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("issuer", named);
        doc.put("jwks_uri", issuer + JWKS_PATH);
        doc.putArray("response_types_supported").add("id_token");
        doc.putArray("subject_types_supported").add("public");
        ArrayNode algs = doc.putArray("id_token_signing_alg_values_supported");
        algs.add("RS256");
        return doc.toString();
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        if (closed.getAndSet(true)) return;
        slowRelease.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
