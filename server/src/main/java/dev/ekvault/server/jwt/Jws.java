package dev.ekvault.server.jwt;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The compact JWS serialisation, written out instead of taken from Nimbus's {@code JWSObject}: Nimbus signs and
 * verifies EdDSA only through Tink, which we do not ship, and its JSON parser (Gson) is lenient where we want to be
 * strict. The whole format is {@code base64url(header) "." base64url(payload) "." base64url(signature)}, so this is:
 * <ul>
 *   <li>Ed25519 through Bouncy Castle's lightweight API ({@link Ed25519Signer}; no JCE provider is registered),
 *       over the ASCII bytes of the first two segments (RFC 7515 §5.1, RFC 8037 §3.1);</li>
 *   <li>unpadded base64url (RFC 7515 §2) decoded canonically: a segment that does not re-encode to itself
 *       (non-zero trailing bits) is refused, so one token has exactly one spelling;</li>
 *   <li>JSON through Jackson with duplicate names refused (two {@code alg}s, one per parser, is a classic trick),
 *       trailing content refused, strict UTF-8, and small depth/length limits.</li>
 * </ul>
 * Nimbus is still used for what it is good at: publishing keys as JWKs ({@code OctetKeyPair}, {@code JWKSet}).
 */
final class Jws {
    static final String ALGORITHM = "EdDSA";
    static final int SIGNATURE_LENGTH = Ed25519PrivateKeyParameters.SIGNATURE_SIZE;

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
    static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(4)
                            .maxStringLength(4096)
                            .maxNumberLength(24)
                            .build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Jws() {}

    /** Signs a header and claims given as JSON objects; returns the compact serialisation. */
    static String sign(ObjectNode header, ObjectNode claims, Ed25519PrivateKeyParameters key) {
        try {
            return sign(JSON.writeValueAsBytes(header), JSON.writeValueAsBytes(claims), key);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a JWS", e);
        }
    }

    /** Signs raw header and payload bytes (the tests use this to build hostile tokens with a real key). */
    static String sign(byte[] headerJson, byte[] payload, Ed25519PrivateKeyParameters key) {
        String signingInput = encode(headerJson) + '.' + encode(payload);
        byte[] input = signingInput.getBytes(StandardCharsets.US_ASCII);
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, key);
        signer.update(input, 0, input.length);
        return signingInput + '.' + encode(signer.generateSignature());
    }

    /** True when {@code signature} is a valid Ed25519 signature of {@code signingInput} by {@code key}. */
    static boolean verify(byte[] signingInput, byte[] signature, Ed25519PublicKeyParameters key) {
        if (signature.length != SIGNATURE_LENGTH) return false;
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, key);
        verifier.update(signingInput, 0, signingInput.length);
        return verifier.verifySignature(signature);
    }

    static String encode(byte[] bytes) {
        return ENCODER.encodeToString(bytes);
    }

    /**
     * Decodes {@code text[from, to)} as canonical unpadded base64url, or returns null. The caller has already checked
     * that every character is in the base64url alphabet.
     */
    static byte[] decode(String text, int from, int to) {
        String segment = text.substring(from, to);
        byte[] bytes;
        try {
            bytes = DECODER.decode(segment);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return ENCODER.encodeToString(bytes).equals(segment) ? bytes : null;
    }

    /** True for the characters of unpadded base64url: {@code A-Z a-z 0-9 - _}. */
    static boolean isBase64UrlChar(char ch) {
        return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    }

    /** Parses strict UTF-8 JSON that must be an object; null for anything else. */
    static ObjectNode parseObject(byte[] utf8) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(text);
            return node instanceof ObjectNode object ? object : null;
        } catch (JsonProcessingException | RuntimeException e) {
            return null;
        }
    }
}
