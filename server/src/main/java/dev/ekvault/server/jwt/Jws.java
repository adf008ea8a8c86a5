package dev.ekvault.server.jwt;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
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
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION) // on the factory: parseObject uses its parsers
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

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
     * Decodes {@code text[from, to)} as canonical unpadded base64url, or returns null: a character outside the
     * alphabet, padding, or a spelling that does not re-encode to itself (non-zero trailing bits).
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

    /** Parses strict UTF-8 JSON that must be an object; null for anything else. */
    static ObjectNode parseObject(byte[] utf8) {
        String text = strictUtf8(utf8);
        if (text == null) return null;
        // the streaming parser, not ObjectMapper.readTree: a token's few claims do not need a deserialisation context
        // per call, which was most of the cost of refusing a flood of well-formed but invalid tokens
        try (JsonParser parser = JSON.getFactory().createParser(text)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) return null;
            JsonNode node = readValue(parser, JsonToken.START_OBJECT);
            return parser.nextToken() == null ? (ObjectNode) node : null; // trailing content
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The bytes as text when they are well-formed UTF-8, else null. ASCII (every token we issue) is taken as it is;
     * anything else goes through a strict decoder that answers with a result rather than an exception, whose stack
     * trace a flood of malformed tokens would otherwise pay for.
     */
    private static String strictUtf8(byte[] bytes) {
        boolean ascii = true;
        for (byte b : bytes) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) return new String(bytes, StandardCharsets.ISO_8859_1);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        if (decoder.decode(ByteBuffer.wrap(bytes), out, true).isError() || decoder.flush(out).isError()) return null;
        return out.flip().toString();
    }

    /** The value starting at {@code token}, as a tree; the parser enforces the nesting and length limits. */
    private static JsonNode readValue(JsonParser parser, JsonToken token) throws IOException {
        return switch (token) {
            case START_OBJECT -> {
                ObjectNode object = NODES.objectNode();
                for (JsonToken next = parser.nextToken(); next != JsonToken.END_OBJECT; next = parser.nextToken()) {
                    String name = parser.currentName(); // duplicates are refused by the parser (STRICT_DUPLICATE_DETECTION)
                    object.set(name, readValue(parser, parser.nextToken()));
                }
                yield object;
            }
            case START_ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                for (JsonToken next = parser.nextToken(); next != JsonToken.END_ARRAY; next = parser.nextToken()) {
                    array.add(readValue(parser, next));
                }
                yield array;
            }
            case VALUE_STRING -> NODES.textNode(parser.getText());
            case VALUE_NUMBER_INT -> parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? NODES.numberNode(parser.getBigIntegerValue()) : NODES.numberNode(parser.getLongValue());
            case VALUE_NUMBER_FLOAT -> NODES.numberNode(parser.getDecimalValue());
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_NULL -> NODES.nullNode();
            default -> throw new IOException("unexpected " + token);
        };
    }
}
