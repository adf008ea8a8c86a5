package dev.ekvault.server.jwt;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.KeyParameter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * The {@code jti} of our access tokens is a tag only a node of ours can make: 12 random bytes followed by the first
 * 12 bytes of an HMAC-SHA256, under a key derived from the signing key's private seed, of the nonce and the claims
 * the verifier acts on ({@code iss}, {@code sub}, {@code ws}, {@code uid}, {@code iat}, {@code nbf}, {@code exp}).
 *
 * <p>Why: an Ed25519 verification costs about 2.4 signatures, so a flood of tokens with our key id and plausible
 * claims but a wrong signature would otherwise buy a costly check each. The tag costs two SHA-256 blocks, and a
 * token whose tag does not match is refused before the signature is looked at. It is a filter, not the proof: the
 * signature is still verified on every token that passes it, so the tag adds no trust and a leaked tag key alone
 * lets nobody in. Every node can compute it because every node opens the signing keys with the master key; it
 * rotates with the signing key and is never published (JWKS carries the public key only).
 */
final class JwtTag {
    static final int NONCE_LENGTH = 12;
    static final int TAG_LENGTH = 12;
    /** Characters of a jti: 24 bytes in unpadded base64url. */
    static final int JTI_LENGTH = 32;
    private static final byte[] DERIVATION_LABEL = "ek/jwt-tag/v1".getBytes(StandardCharsets.US_ASCII);
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private JwtTag() {}

    /** The tag key of a signing key: HMAC-SHA256(seed, label), so it needs no storage of its own. */
    static byte[] keyOf(Ed25519PrivateKeyParameters signingKey) {
        byte[] seed = signingKey.getEncoded();
        try {
            return hmac(seed, DERIVATION_LABEL);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    /** A fresh jti for these claims. */
    static String newJti(byte[] tagKey, SecureRandom random, Claims claims) {
        byte[] jti = new byte[NONCE_LENGTH + TAG_LENGTH];
        random.nextBytes(jti);
        byte[] mac = hmac(tagKey, message(jti, claims));
        System.arraycopy(mac, 0, jti, NONCE_LENGTH, TAG_LENGTH);
        return ENCODER.encodeToString(jti);
    }

    /** True when {@code jti} is a tag of these claims under this key (compared in constant time). */
    static boolean matches(byte[] tagKey, String jti, Claims claims) {
        if (jti == null || jti.length() != JTI_LENGTH) return false;
        byte[] bytes;
        try {
            bytes = DECODER.decode(jti);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (bytes.length != NONCE_LENGTH + TAG_LENGTH) return false;
        byte[] mac = hmac(tagKey, message(bytes, claims));
        return MessageDigest.isEqual(Arrays.copyOf(mac, TAG_LENGTH), Arrays.copyOfRange(bytes, NONCE_LENGTH, NONCE_LENGTH + TAG_LENGTH));
    }

    /** The claims the tag binds. */
    record Claims(String iss, String sub, String ws, String uid, long iat, long nbf, long exp) {}

    /** The nonce and each claim, strings length-prefixed, so no two claim sets share a message. */
    private static byte[] message(byte[] nonceHolder, Claims claims) {
        StringBuilder text = new StringBuilder(128);
        for (String value : new String[] {claims.iss(), claims.sub(), claims.ws(), claims.uid()}) {
            text.append(value.length()).append(':').append(value).append(';');
        }
        text.append(claims.iat()).append(';').append(claims.nbf()).append(';').append(claims.exp());
        byte[] suffix = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] message = new byte[NONCE_LENGTH + suffix.length];
        System.arraycopy(nonceHolder, 0, message, 0, NONCE_LENGTH);
        System.arraycopy(suffix, 0, message, NONCE_LENGTH, suffix.length);
        return message;
    }

    /** Bouncy Castle's HMAC: no JCE provider lookup per call (a {@code Mac.getInstance} costs more than the MAC). */
    private static byte[] hmac(byte[] key, byte[] message) {
        HMac mac = new HMac(new SHA256Digest());
        mac.init(new KeyParameter(key));
        mac.update(message, 0, message.length);
        byte[] out = new byte[mac.getMacSize()];
        mac.doFinal(out, 0);
        return out;
    }
}
