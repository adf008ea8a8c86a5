package dev.ekvault.server.workload;

import dev.ekvault.server.wire.Refusal;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.Iterator;
import java.util.Set;

/**
 * A service-account token from a cluster, parsed strictly and not yet trusted: {@link #parse} only checks its shape
 * (so the issuer can pick whose keys to check it with); {@link #verifiedBy} checks the signature and
 * {@link #checkClaims} the time claims, and only a token that passed both may be believed.
 *
 * <p>Like our own {@code jwt.Jws}, the compact serialisation is read here rather than by Nimbus's {@code JWSObject}:
 * canonical unpadded base64url only, JSON through Jackson with duplicate names and trailing content refused, and a
 * header allow-list of {@code alg} (RS256, ES256 or EdDSA), {@code kid} and {@code typ}. Everything else, above all
 * {@code jku}, {@code jwk}, {@code x5u}, {@code x5c} and {@code crit}, is refused: a token never names its own key, and
 * the server never fetches anything a token names. RS256 and ES256 are checked with the JDK; EdDSA with Bouncy Castle
 * (Nimbus's Ed25519 verifier needs Tink, which we do not ship).
 */
final class ClusterToken {
    static final int MAX_LENGTH = 16 * 1024;
    static final Set<String> ALGORITHMS = Set.of("RS256", "ES256", "EdDSA");
    private static final Set<String> ALLOWED_HEADER = Set.of("alg", "kid", "typ");
    private static final int MAX_KID_LENGTH = 256;
    private static final int MAX_CLAIM_LENGTH = 1024;
    private static final int MAX_AUDIENCES = 64;
    private static final int MIN_RSA_BITS = 2048;
    /** 9999-12-31T23:59:59Z: time claims beyond it are refused rather than overflowing arithmetic. */
    private static final long MAX_EPOCH_SECOND = 253_402_300_799L;

    static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(8)
                            .maxStringLength(MAX_LENGTH)
                            .maxNumberLength(24)
                            .build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Why a token was refused, for the log only; the caller always gets the one 401. */
    static final class Refused extends Exception {
        /** Which kind of rule failed, for the request log and the refusal counter (the answer is the one 401). */
        final Refusal refusal;

        Refused(String reason) {
            this(reason, Refusal.MALFORMED);
        }

        Refused(String reason, Refusal refusal) {
            super(reason, null, false, false);
            this.refusal = refusal;
        }
    }

    private final String alg;
    private final String kid;
    private final byte[] signingInput;
    private final byte[] signature;
    private final ObjectNode claims;
    private final String issuer;
    private final String subject;

    private ClusterToken(String alg, String kid, byte[] signingInput, byte[] signature, ObjectNode claims, String issuer, String subject) {
        this.alg = alg;
        this.kid = kid;
        this.signingInput = signingInput;
        this.signature = signature;
        this.claims = claims;
        this.issuer = issuer;
        this.subject = subject;
    }

    static ClusterToken parse(String token) throws Refused {
        if (token == null || token.isBlank()) throw new Refused("no token");
        if (token.length() > MAX_LENGTH) throw new Refused("token longer than " + MAX_LENGTH + " characters");
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (second < 0 || token.indexOf('.', second + 1) >= 0) throw new Refused("not three dot-separated segments");
        if (first == 0 || second == first + 1 || second == token.length() - 1) throw new Refused("empty segment");
        for (int i = 0; i < token.length(); i++) {
            char ch = token.charAt(i);
            if (ch != '.' && !isBase64UrlChar(ch)) throw new Refused("character outside unpadded base64url");
        }
        ObjectNode header = object(decode(token, 0, first, "header"), "header");
        JsonNode alg = header.get("alg");
        if (alg == null || !alg.isTextual() || !ALGORITHMS.contains(alg.textValue())) {
            throw new Refused("alg is not one of RS256, ES256, EdDSA (got " + (alg == null ? "none" : WorkloadIdentityRules.forLog(alg.toString())) + ")");
        }
        for (Iterator<String> names = header.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!ALLOWED_HEADER.contains(name)) throw new Refused("header parameter " + WorkloadIdentityRules.forLog(name) + " is not allowed");
        }
        JsonNode typ = header.get("typ");
        if (typ != null && !typ.isTextual()) throw new Refused("typ is not a string");
        JsonNode kid = header.get("kid");
        if (kid == null || !kid.isTextual() || kid.textValue().isEmpty() || kid.textValue().length() > MAX_KID_LENGTH) {
            throw new Refused("kid missing, empty or too long");
        }
        ObjectNode claims = object(decode(token, first + 1, second, "payload"), "claims");
        byte[] signature = decode(token, second + 1, token.length(), "signature");
        String issuer = text(claims, "iss");
        String subject = text(claims, "sub");
        return new ClusterToken(alg.textValue(), kid.textValue(), token.substring(0, second).getBytes(StandardCharsets.US_ASCII),
                signature, claims, issuer, subject);
    }

    String issuer() {
        return issuer;
    }

    String subject() {
        return subject;
    }

    String kid() {
        return kid;
    }

    String algorithm() {
        return alg;
    }

    /** True when {@code aud} (a string or an array of strings) holds {@code audience}; a malformed aud holds nothing. */
    boolean audienceHolds(String audience) {
        JsonNode aud = claims.get("aud");
        if (aud != null && aud.isTextual()) return aud.textValue().equals(audience);
        if (aud == null || !aud.isArray() || aud.size() > MAX_AUDIENCES) return false;
        boolean found = false;
        for (JsonNode entry : aud) {
            if (!entry.isTextual()) return false;
            if (entry.textValue().equals(audience)) found = true;
        }
        return found;
    }

    /** True when {@code key} is a key for this token's alg and the signature verifies with it. */
    boolean verifiedBy(JWK key) {
        if (!isUsableSigningKey(key) || !algorithmFits(key, alg)) return false;
        try {
            return switch (alg) {
                case "RS256" -> jdkVerify("SHA256withRSA", ((RSAKey) key).toRSAPublicKey());
                // JWS carries ECDSA signatures as R || S (64 bytes for P-256), which is the JDK's P1363 format
                case "ES256" -> signature.length == 64 && jdkVerify("SHA256withECDSAinP1363Format", ((ECKey) key).toECPublicKey());
                case "EdDSA" -> ed25519Verify(((OctetKeyPair) key).getDecodedX());
                default -> false;
            };
        } catch (GeneralSecurityException | com.nimbusds.jose.JOSEException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The time rules, with {@code skew} either way: {@code exp} and {@code iat} are required integers (a token without
     * them is a legacy, never-expiring secret token and is refused), {@code exp} not passed, {@code nbf} (if any) and
     * {@code iat} not in the future, and the token issued at most {@code maxAge} ago. Also, a {@code kubernetes.io}
     * claim block must name the same namespace as {@code sub}.
     */
    void checkClaims(long nowMillis, long skewMillis, long maxAgeMillis) throws Refused {
        long exp = epochSecond("exp", true);
        long iat = epochSecond("iat", true);
        Long nbf = claims.has("nbf") ? epochSecond("nbf", false) : null;
        if (exp * 1000 + skewMillis <= nowMillis) throw new Refused("token expired", Refusal.EXPIRED);
        if (nbf != null && nbf * 1000 - skewMillis > nowMillis) throw new Refused("token not valid yet (nbf)");
        if (iat * 1000 - skewMillis > nowMillis) throw new Refused("token issued in the future (iat)");
        if (exp <= iat) throw new Refused("exp is not after iat");
        if (nowMillis - iat * 1000 > maxAgeMillis + skewMillis) throw new Refused("token older than the maximum token age", Refusal.EXPIRED);
        JsonNode kubernetes = claims.get("kubernetes.io");
        if (kubernetes != null) {
            JsonNode namespace = kubernetes.get("namespace");
            if (!kubernetes.isObject() || namespace == null || !namespace.isTextual() || !namespace.textValue().equals(WorkloadIdentityRules.namespaceOf(subject))) {
                throw new Refused("the kubernetes.io namespace does not match sub");
            }
        }
    }

    /** RSA of 2048 bits or more, EC on P-256 or Ed25519, public, for signing, without a conflicting alg. */
    static boolean isUsableSigningKey(JWK key) {
        if (key == null || key.isPrivate()) return false;
        if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) return false;
        if (key instanceof RSAKey rsa) return rsa.size() >= MIN_RSA_BITS && algorithmFits(key, "RS256");
        if (key instanceof ECKey ec) return Curve.P_256.equals(ec.getCurve()) && algorithmFits(key, "ES256");
        if (key instanceof OctetKeyPair okp) return Curve.Ed25519.equals(okp.getCurve()) && algorithmFits(key, "EdDSA");
        return false;
    }

    /** The key's type belongs to {@code alg}, and the key's own {@code alg}, if it names one, is that alg. */
    private static boolean algorithmFits(JWK key, String alg) {
        boolean type = switch (alg) {
            case "RS256" -> key instanceof RSAKey;
            case "ES256" -> key instanceof ECKey;
            case "EdDSA" -> key instanceof OctetKeyPair;
            default -> false;
        };
        if (!type) return false;
        if (key.getAlgorithm() == null) return true;
        String named = key.getAlgorithm().getName();
        return named.equals(alg) || (alg.equals("EdDSA") && named.equals(JWSAlgorithm.Ed25519.getName()));
    }

    private boolean jdkVerify(String algorithm, PublicKey key) throws GeneralSecurityException {
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(key);
        verifier.update(signingInput);
        return verifier.verify(signature);
    }

    private boolean ed25519Verify(byte[] publicKey) {
        if (publicKey.length != Ed25519PublicKeyParameters.KEY_SIZE || signature.length != 64) return false;
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
        verifier.update(signingInput, 0, signingInput.length);
        return verifier.verifySignature(signature);
    }

    private long epochSecond(String name, boolean required) throws Refused {
        JsonNode value = claims.get(name);
        if (value == null && required) throw new Refused(name + " is missing");
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()) throw new Refused(name + " is not an integer");
        long seconds = value.longValue();
        if (seconds < 0 || seconds > MAX_EPOCH_SECOND) throw new Refused(name + " is out of range");
        return seconds;
    }

    private static String text(ObjectNode claims, String name) throws Refused {
        JsonNode value = claims.get(name);
        if (value == null || !value.isTextual() || value.textValue().isEmpty() || value.textValue().length() > MAX_CLAIM_LENGTH) {
            throw new Refused(name + " is missing or not a short string");
        }
        return value.textValue();
    }

    private static byte[] decode(String token, int from, int to, String what) throws Refused {
        String segment = token.substring(from, to);
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(segment);
        } catch (IllegalArgumentException e) {
            throw new Refused(what + " is not base64url");
        }
        // one token, one spelling: a segment with non-zero trailing bits would decode to the same bytes
        if (!Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).equals(segment)) throw new Refused(what + " is not canonical base64url");
        return bytes;
    }

    private static ObjectNode object(byte[] utf8, String what) throws Refused {
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8))
                    .toString();
            if (JSON.readTree(text) instanceof ObjectNode object) return object;
        } catch (CharacterCodingException | com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
            // refused below
        }
        throw new Refused(what + " is not a JSON object");
    }

    private static boolean isBase64UrlChar(char ch) {
        return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    }
}
