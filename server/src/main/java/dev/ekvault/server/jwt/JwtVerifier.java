package dev.ekvault.server.jwt;

import dev.ekvault.server.wire.Refusal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.ekvault.server.config.Config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * Verifies the server's own access tokens (see {@link JwtIssuer}). Every rule is checked, cheapest first, and any
 * failure is an {@link InvalidJwtException}:
 * <ol>
 *   <li>present, not blank, at most {@value #MAX_TOKEN_LENGTH} characters;</li>
 *   <li>(a token verified before and still in the cache: its expiry and key are re-checked, nothing else);</li>
 *   <li>exactly three non-empty segments of unpadded base64url, canonically encoded;</li>
 *   <li>header: a JSON object of at most {@value #MAX_HEADER_SEGMENT} characters encoded, holding only {@code alg}
 *       (exactly {@code EdDSA}), {@code typ} (absent or {@code JWT}) and {@code kid} (a published key). Every other
 *       parameter is refused - in particular {@code jku}, {@code jwk}, {@code x5u}, {@code x5c} and {@code crit}, so
 *       a token can never name its own key. An unknown kid makes at most one key reload per second (another node
 *       may have rotated) before it is refused;</li>
 *   <li>claims: {@code iss} is ours, {@code aud} holds {@value JwtIssuer#AUDIENCE}, {@code exp}, {@code nbf} and
 *       {@code iat} are integers with {@code exp} in the future and {@code nbf}, {@code iat} not ({@code jwt.clock-skew-seconds}, 30 s by
 *       default, either way), {@code exp - iat} at most the longest lifetime any node may be configured with (+ skew), and {@code sub}, {@code ws}, {@code uid}
 *       are non-empty strings (read before the signature is checked, so a token that fails here costs no signature
 *       check; nothing from them is used unless the signature then verifies);</li>
 *   <li>{@code jti} is a {@link JwtTag} of those claims under that key: a token we did not issue is refused here,
 *       before the costly check, unless it copies a real token's claims exactly;</li>
 *   <li>the Ed25519 signature by that key.</li>
 * </ol>
 * Valid tokens are cached by the SHA-256 of their signing input (header and claims; bounded, each entry dropped at
 * the token's {@code exp}) with their signature, so a repeated token costs a hash and a lookup, and a copy of a
 * cached token's header and claims with another signature is refused without a verification (our signatures are
 * deterministic: one signing input has one signature). Only tokens that passed every rule are cached.
 */
public final class JwtVerifier {
    private static final Logger LOG = Logger.getLogger(JwtVerifier.class.getName());
    public static final int MAX_TOKEN_LENGTH = 4096;
    static final int MAX_HEADER_SEGMENT = 512;
    static final int MAX_KID_LENGTH = 64;
    static final int MAX_ID_LENGTH = 256;
    static final long RELOAD_INTERVAL_MILLIS = 1000;
    static final int DEFAULT_CACHE_SIZE = 100_000;
    /** 9999-12-31T23:59:59Z: time claims beyond it are refused rather than overflowing arithmetic. */
    private static final long MAX_EPOCH_SECOND = 253_402_300_799L;
    private static final Set<String> ALLOWED_HEADER = Set.of("alg", "typ", "kid");
    /** Header segments that passed the header rules, with their kid: a handful in practice (one per signing key). */
    private static final int MAX_KNOWN_HEADERS = 64;
    /** Cloned for each hash (see {@link #sha256}). */
    private static final MessageDigest SHA_256;
    static {
        try {
            SHA_256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private record Cached(VerifiedJwt jwt, String kid, String signature) {}

    /** A SHA-256 as four longs: equality and hashing without a string or an array. */
    private record Digest(long a, long b, long c, long d) {}

    private final String issuer;
    private final long skewMillis;
    private final SigningKeys keys;
    private final Clock clock;
    private final Cache<Digest, Cached> cache;
    private final ReentrantLock reloadLock = new ReentrantLock();
    private final java.util.Map<String, String> knownHeaders = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long lastReloadMillis = Long.MIN_VALUE; // written under reloadLock

    public JwtVerifier(Config.Jwt config, SigningKeys keys, Clock clock) {
        this(config, keys, clock, DEFAULT_CACHE_SIZE);
    }

    JwtVerifier(Config.Jwt config, SigningKeys keys, Clock clock, int maxCachedTokens) {
        if (config.issuer() == null || config.issuer().isBlank()) throw new IllegalArgumentException("jwt issuer is required");
        if (config.lifetime() == null || config.lifetime().toSeconds() < 1) throw new IllegalArgumentException("jwt lifetime must be at least one second");
        this.issuer = config.issuer();
        this.skewMillis = config.clockSkew().toMillis();
        this.keys = Objects.requireNonNull(keys, "keys");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.cache = Caffeine.newBuilder()
                .maximumSize(maxCachedTokens)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .expireAfter(Expiry.<Digest, Cached>creating((hash, cached) ->
                        Duration.ofMillis(Math.max(0, cached.jwt().expiresAtMillis() - clock.millis()))))
                .recordStats()
                .build();
    }

    /** Hits and misses of the verified-token cache since start (the metrics read them when scraped). */
    public com.github.benmanes.caffeine.cache.stats.CacheStats cacheStats() {
        return cache.stats();
    }

    /** The token's claims when every rule holds; otherwise {@link InvalidJwtException} with a message for the log. */
    public VerifiedJwt verify(String token) {
        if (token == null) throw reject("no token");
        if (token.length() > MAX_TOKEN_LENGTH) throw reject("token longer than " + MAX_TOKEN_LENGTH + " characters");
        if (token.isBlank()) throw reject("no token");

        int lastDot = token.lastIndexOf('.');
        Digest hash = sha256(token, lastDot < 0 ? 0 : lastDot);
        Cached cached = cache.getIfPresent(hash);
        if (cached != null) {
            if (!token.regionMatches(lastDot + 1, cached.signature(), 0, cached.signature().length())
                    || token.length() - lastDot - 1 != cached.signature().length()) {
                throw reject("signature differs from the one verified for this header and claims", Refusal.BAD_SIGNATURE);
            }
            if (clock.millis() >= cached.jwt().expiresAtMillis() + skewMillis) {
                cache.invalidate(hash);
                throw reject("token expired", Refusal.EXPIRED);
            }
            if (keys.publishedKey(cached.kid()) == null) {
                cache.invalidate(hash);
                throw reject("signing key " + cached.kid() + " is no longer published", Refusal.REVOKED);
            }
            return cached.jwt();
        }

        // structure: three non-empty segments; each is proved canonical unpadded base64url when it is decoded (a known
        // header segment by being the text of one that was), so the characters need no scan of their own
        int firstDot = token.indexOf('.');
        int secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
        if (secondDot < 0) throw reject("fewer than three segments");
        if (secondDot != lastDot) throw reject("more than three segments");
        if (firstDot == 0 || secondDot == firstDot + 1 || secondDot == token.length() - 1) throw reject("empty segment");
        if (firstDot > MAX_HEADER_SEGMENT) throw reject("header too long");

        // header: every token of one key has the same header segment, so a header that passed once is known by its text
        String headerSegment = token.substring(0, firstDot);
        String kid = knownHeaders.get(headerSegment);
        boolean known = kid != null;
        if (!known) kid = checkHeader(token, firstDot);
        SigningKeys.PublicKey key = publishedKey(kid);
        if (key == null) throw reject("unknown kid " + printable(kid), Refusal.UNKNOWN);
        if (!known) {
            if (knownHeaders.size() >= MAX_KNOWN_HEADERS) knownHeaders.clear();
            knownHeaders.put(headerSegment, kid);
        }

        byte[] signature = Jws.decode(token, secondDot + 1, token.length());
        if (signature == null || signature.length != Jws.SIGNATURE_LENGTH) throw reject("signature is not 64 bytes of canonical base64url");

        // claims, before the signature: an expired, foreign or malformed token is refused without the costly check
        byte[] payload = Jws.decode(token, firstDot + 1, secondDot);
        if (payload == null) throw reject("payload is not canonical base64url");
        ObjectNode claims = Jws.parseObject(payload);
        if (claims == null) throw reject("claims are not a JSON object");
        JsonNode iss = claims.get("iss");
        if (iss == null || !iss.isTextual() || !issuer.equals(iss.textValue())) throw reject("wrong iss");
        if (!audienceIsOurs(claims.get("aud"))) throw reject("aud does not hold " + JwtIssuer.AUDIENCE);
        long exp = epochSecond(claims, "exp");
        long nbf = epochSecond(claims, "nbf");
        long iat = epochSecond(claims, "iat");
        long now = clock.millis();
        if (exp * 1000 + skewMillis <= now) throw reject("token expired", Refusal.EXPIRED);
        if (nbf * 1000 - skewMillis > now) throw reject("token not valid yet (nbf)");
        if (iat * 1000 - skewMillis > now) throw reject("token issued in the future (iat)");
        if (exp <= iat) throw reject("exp is not after iat");
        if (exp - iat > Config.Jwt.MAX_LIFETIME_SECONDS + skewMillis / 1000) throw reject("lifetime longer than allowed");
        VerifiedJwt jwt = new VerifiedJwt(id(claims, "sub"), id(claims, "ws"), id(claims, "uid"), exp * 1000);
        JsonNode jti = claims.get("jti");
        JwtTag.Claims tagged = new JwtTag.Claims(issuer, jwt.credentialId(), jwt.workspaceId(), jwt.userId(), iat, nbf, exp);
        if (jti == null || !jti.isTextual() || !JwtTag.matches(key.tagKey(), jti.textValue(), tagged)) {
            throw reject("jti is not a tag of ours for these claims", Refusal.BAD_SIGNATURE);
        }

        // signature: the last and most expensive check
        if (!Jws.verify(token.substring(0, secondDot).getBytes(StandardCharsets.US_ASCII), signature, key.key())) {
            throw reject("signature does not verify with key " + kid, Refusal.BAD_SIGNATURE);
        }

        if (jwt.expiresAtMillis() > now) { // not when only the skew admits it
            cache.put(hash, new Cached(jwt, kid, token.substring(secondDot + 1)));
        }
        return jwt;
    }

    /** The header's rules (alg, typ, only allowed parameters, a kid of sane length); answers the kid. */
    private static String checkHeader(String token, int firstDot) {
        byte[] headerBytes = Jws.decode(token, 0, firstDot);
        if (headerBytes == null) throw reject("header is not canonical base64url");
        ObjectNode header = Jws.parseObject(headerBytes);
        if (header == null) throw reject("header is not a JSON object");
        JsonNode alg = header.get("alg");
        if (alg == null || !alg.isTextual() || !Jws.ALGORITHM.equals(alg.textValue())) throw reject("alg is not " + Jws.ALGORITHM);
        JsonNode typ = header.get("typ");
        if (typ != null && !(typ.isTextual() && "JWT".equals(typ.textValue()))) throw reject("typ is not JWT");
        for (Iterator<String> names = header.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!ALLOWED_HEADER.contains(name)) throw reject("header parameter " + printable(name) + " is not allowed");
        }
        JsonNode kidNode = header.get("kid");
        if (kidNode == null || !kidNode.isTextual()) throw reject("no kid");
        String kid = kidNode.textValue();
        if (kid.isEmpty() || kid.length() > MAX_KID_LENGTH) throw reject("kid is empty or too long");
        return kid;
    }

    /** Tokens in the verified cache; for tests. */
    long cachedTokens() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** The published key; for an unknown kid, one reload per second at most (another node may have rotated). */
    private SigningKeys.PublicKey publishedKey(String kid) {
        SigningKeys.PublicKey key = keys.publishedKey(kid);
        if (key != null) return key;
        long now = clock.millis();
        if (reloadedWithin(now)) return null; // the common case under a flood of made-up kids: no lock taken
        reloadLock.lock();
        try {
            key = keys.publishedKey(kid); // a reload that finished while this thread waited may have brought it
            if (key != null) return key;
            if (reloadedWithin(now)) return null;
            lastReloadMillis = now;
            try {
                keys.reload();
            } catch (RuntimeException e) {
                LOG.warning("could not reload the JWT signing keys: " + e.getClass().getSimpleName());
                return null;
            }
        } finally {
            reloadLock.unlock();
        }
        return keys.publishedKey(kid);
    }

    private boolean reloadedWithin(long now) {
        long last = lastReloadMillis;
        return last != Long.MIN_VALUE && now - last < RELOAD_INTERVAL_MILLIS;
    }

    private static boolean audienceIsOurs(JsonNode aud) {
        if (aud == null) return false;
        if (aud.isTextual()) return JwtIssuer.AUDIENCE.equals(aud.textValue());
        if (!aud.isArray()) return false;
        boolean ours = false;
        for (JsonNode entry : aud) {
            if (!entry.isTextual()) return false;
            if (JwtIssuer.AUDIENCE.equals(entry.textValue())) ours = true;
        }
        return ours;
    }

    private static long epochSecond(ObjectNode claims, String name) {
        JsonNode value = claims.get(name);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()) throw reject(name + " is not an integer");
        long seconds = value.longValue();
        if (seconds < 0 || seconds > MAX_EPOCH_SECOND) throw reject(name + " is out of range");
        return seconds;
    }

    private static String id(ObjectNode claims, String name) {
        JsonNode value = claims.get(name);
        if (value == null || !value.isTextual() || value.textValue().isBlank() || value.textValue().length() > MAX_ID_LENGTH) {
            throw reject(name + " is missing or not a short string");
        }
        return value.textValue();
    }

    /** A value from the token, safe to put in a log line: short, printable ASCII only. */
    private static String printable(String value) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && i < 64; i++) {
            char ch = value.charAt(i);
            out.append(ch >= 0x20 && ch < 0x7f ? ch : '?');
        }
        return value.length() > 64 ? out + "…" : out.toString();
    }

    private static InvalidJwtException reject(String message, Refusal refusal) {
        return new InvalidJwtException(message, refusal);
    }

    private static InvalidJwtException reject(String message) {
        return new InvalidJwtException(message);
    }

    /**
     * The cache key of a token: the SHA-256 of its first {@code end} characters. Only a token of canonical base64url
     * and dots can be in the cache, and for those the chars are the bytes; any other character becomes a byte that
     * no cached input holds, so a hit is the very text that was verified. A prototype digest is cloned: {@code MessageDigest.getInstance} walks the provider list.
     */
    private static Digest sha256(String token, int end) {
        MessageDigest digest;
        try {
            digest = (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
        // ISO-8859-1 turns a char above U+00FF into '?', which no cached input holds; dropping the high byte instead
        // would let U+012E hash as '.', a second spelling of a cached token
        byte[] input = token.substring(0, end).getBytes(StandardCharsets.ISO_8859_1);
        java.nio.ByteBuffer hash = java.nio.ByteBuffer.wrap(digest.digest(input));
        return new Digest(hash.getLong(0), hash.getLong(8), hash.getLong(16), hash.getLong(24));
    }

}
