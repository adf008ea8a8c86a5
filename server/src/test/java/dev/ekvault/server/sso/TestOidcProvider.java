package dev.ekvault.server.sso;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/**
 * A real, strict OpenID Connect provider inside the test JVM (com.sun.net.httpserver on 127.0.0.1 and a free port):
 * discovery, {@code /authorize} (which "logs in" {@link #email} at once and redirects back with a code), {@code /token}
 * (client authentication, redirect URI, single-use codes, and PKCE: SHA-256 of the verifier must equal the
 * challenge it was given) and {@code /jwks} (one RS256 key). Knobs let a test make it misbehave the way a forged or
 * broken provider would.
 */
public final class TestOidcProvider implements AutoCloseable {
    static final String CLIENT_ID = "ek-dashboard";
    /** At least 32 bytes, so a test can also try it as an HS256 key (the classic confusion attack). */
    static final String CLIENT_SECRET = "the-client-secret-of-ek-0123456789";

    enum Signing { RS256, HS256_WITH_CLIENT_SECRET, NONE, ANOTHER_KEY_SAME_KID, UNKNOWN_KID }

    /** A code handed out by /authorize, with what the token request must match. */
    record Grant(String clientId, String redirectUri, String challenge, String nonce, String email) {}

    final String issuer;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final RSAKey key;
    private final RSAKey otherKey;
    private final ObjectMapper json = new ObjectMapper();
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Grant> codes = new ConcurrentHashMap<>();
    final List<Map<String, String>> authorizeRequests = new CopyOnWriteArrayList<>();
    final List<Map<String, String>> tokenRequests = new CopyOnWriteArrayList<>();
    final List<String> tokenAuthorizationHeaders = new CopyOnWriteArrayList<>();

    /** The provider's idea of now: the server's TestClock, so ID tokens are fresh (or stale) in the server's time. */
    public volatile Clock clock = Clock.systemUTC();
    /** The person who "logs in" at /authorize. */
    public volatile String email = "dev@example.com";
    volatile String name = "Dev Person";
    /** The email_verified claim as sent; null leaves it out. */
    volatile Object emailVerified = Boolean.TRUE;
    volatile Signing signing = Signing.RS256;
    /** Last word on the ID token's claims (wrong aud, iss, nonce, exp…). */
    volatile UnaryOperator<JWTClaimsSet.Builder> tamper = UnaryOperator.identity();
    /** client_secret_basic or client_secret_post: what discovery offers and what /token accepts. */
    volatile String authMethod = "client_secret_basic";
    /** The issuer the discovery document names (a mix-up test changes it). */
    volatile String discoveryIssuer;
    /** Remember a different challenge than the one received: then no verifier the server has can match. */
    volatile boolean forgetChallenge;

    public TestOidcProvider() throws IOException, JOSEException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(threads);
        issuer = "http://127.0.0.1:" + server.getAddress().getPort();
        discoveryIssuer = issuer;
        key = new RSAKeyGenerator(2048).keyID("test-key-1").generate();
        otherKey = new RSAKeyGenerator(2048).keyID("test-key-1").generate();
        server.createContext("/.well-known/openid-configuration", this::discovery);
        server.createContext("/authorize", this::authorize);
        server.createContext("/token", this::token);
        server.createContext("/jwks", this::jwks);
        server.start();
    }

    /** The server flags that point ek at this provider. */
    public String[] flags(String... more) {
        List<String> flags = new java.util.ArrayList<>(List.of("--sso-issuer=" + issuer, "--sso-client-id=" + CLIENT_ID,
                "--sso-client-secret=" + CLIENT_SECRET, "--sso-allow-http-issuer=true"));
        flags.addAll(List.of(more));
        return flags.toArray(String[]::new);
    }

    private void discovery(HttpExchange ex) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("issuer", discoveryIssuer);
        doc.put("authorization_endpoint", issuer + "/authorize");
        doc.put("token_endpoint", issuer + "/token");
        doc.put("jwks_uri", issuer + "/jwks");
        doc.put("response_types_supported", List.of("code"));
        doc.put("subject_types_supported", List.of("public"));
        doc.put("id_token_signing_alg_values_supported", List.of("RS256"));
        doc.put("code_challenge_methods_supported", List.of("S256"));
        doc.put("token_endpoint_auth_methods_supported", List.of(authMethod));
        answer(ex, 200, "application/json", json.writeValueAsString(doc));
    }

    /** Checks the request a strict provider would, remembers the challenge, and sends the browser back with a code. */
    private void authorize(HttpExchange ex) throws IOException {
        Map<String, String> q = parse(ex.getRequestURI().getRawQuery());
        authorizeRequests.add(q);
        String redirect = q.get("redirect_uri");
        String challenge = q.get("code_challenge");
        if (!"code".equals(q.get("response_type")) || !CLIENT_ID.equals(q.get("client_id")) || redirect == null
                || !List.of(q.getOrDefault("scope", "").split(" ")).contains("openid") || q.get("state") == null || q.get("nonce") == null
                || !"S256".equals(q.get("code_challenge_method")) || challenge == null || !challenge.matches("[A-Za-z0-9_-]{43}")) {
            answer(ex, 400, "text/plain", "invalid authorization request");
            return;
        }
        String code = randomToken();
        codes.put(code, new Grant(CLIENT_ID, redirect, forgetChallenge ? sha256("something else") : challenge, q.get("nonce"), email));
        ex.getResponseHeaders().add("Location", redirect + "?code=" + enc(code) + "&state=" + enc(q.get("state")));
        answer(ex, 302, "text/plain", "");
    }

    private void token(HttpExchange ex) throws IOException {
        if (!ex.getRequestMethod().equals("POST")) {
            answer(ex, 405, "text/plain", "");
            return;
        }
        Map<String, String> form = parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        tokenRequests.add(form);
        String authorization = ex.getRequestHeaders().getFirst("Authorization");
        tokenAuthorizationHeaders.add(authorization == null ? "" : authorization);
        if (!clientAuthenticated(authorization, form)) {
            error(ex, 401, "invalid_client");
            return;
        }
        if (!"authorization_code".equals(form.get("grant_type"))) {
            error(ex, 400, "unsupported_grant_type");
            return;
        }
        Grant grant = form.get("code") == null ? null : codes.remove(form.get("code")); // single use: gone even if what follows fails
        String verifier = form.get("code_verifier");
        if (grant == null || !grant.redirectUri().equals(form.get("redirect_uri")) || verifier == null
                || !verifier.matches("[A-Za-z0-9._~-]{43,128}") || !sha256(verifier).equals(grant.challenge())) {
            error(ex, 400, "invalid_grant");
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", randomToken());
        body.put("token_type", "Bearer");
        body.put("expires_in", 300);
        body.put("id_token", idToken(grant));
        answer(ex, 200, "application/json", json.writeValueAsString(body));
    }

    private boolean clientAuthenticated(String authorization, Map<String, String> form) {
        if (authMethod.equals("client_secret_post")) {
            return authorization == null && CLIENT_ID.equals(form.get("client_id")) && CLIENT_SECRET.equals(form.get("client_secret"));
        }
        if (authorization == null || !authorization.startsWith("Basic ") || form.containsKey("client_secret")) return false;
        String pair = new String(Base64.getDecoder().decode(authorization.substring(6)), StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        return colon > 0 && CLIENT_ID.equals(URLDecoder.decode(pair.substring(0, colon), StandardCharsets.UTF_8))
                && CLIENT_SECRET.equals(URLDecoder.decode(pair.substring(colon + 1), StandardCharsets.UTF_8));
    }

    private String idToken(Grant grant) {
        long now = clock.millis();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject("sub-" + grant.email())
                .audience(grant.clientId())
                .issueTime(new Date(now))
                .expirationTime(new Date(now + 300_000))
                .claim("nonce", grant.nonce())
                .claim("email", grant.email())
                .claim("name", name);
        if (emailVerified != null) claims.claim("email_verified", emailVerified);
        JWTClaimsSet set = tamper.apply(claims).build();
        try {
            return switch (signing) {
                case RS256 -> signed(set, key, key.getKeyID());
                case ANOTHER_KEY_SAME_KID -> signed(set, otherKey, key.getKeyID());
                case UNKNOWN_KID -> signed(set, otherKey, "no-such-key");
                case NONE -> new PlainJWT(set).serialize();
                case HS256_WITH_CLIENT_SECRET -> {
                    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.getKeyID()).build(), set);
                    jwt.sign(new MACSigner(CLIENT_SECRET.getBytes(StandardCharsets.UTF_8)));
                    yield jwt.serialize();
                }
            };
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String signed(JWTClaimsSet set, RSAKey with, String kid) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).build(), set);
        jwt.sign(new RSASSASigner(with));
        return jwt.serialize();
    }

    private void jwks(HttpExchange ex) throws IOException {
        answer(ex, 200, "application/json", new JWKSet(key.toPublicJWK()).toString());
    }

    private void error(HttpExchange ex, int status, String error) throws IOException {
        answer(ex, status, "application/json", "{\"error\":\"" + error + "\"}");
    }

    private static void answer(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
        ex.close();
    }

    static Map<String, String> parse(String raw) {
        Map<String, String> result = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return result;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            result.put(name, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return result;
    }

    static String sha256(String text) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String randomToken() {
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String enc(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    /** Issues a code for a challenge of the test's choosing, as /authorize would (to test the provider itself). */
    String codeFor(String challenge, String redirectUri) {
        String code = randomToken();
        codes.put(code, new Grant(CLIENT_ID, redirectUri, challenge, "n", email));
        return code;
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
