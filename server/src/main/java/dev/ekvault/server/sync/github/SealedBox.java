package dev.ekvault.server.sync.github;

import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * libsodium's {@code crypto_box_seal}, which is how GitHub wants a secret's value encrypted for its repository or
 * environment public key: a fresh X25519 key pair per message, nonce = BLAKE2b-192(ephemeral pk || recipient pk),
 * and {@code crypto_box} (curve25519xsalsa20poly1305) from the ephemeral secret key to the recipient. The output is
 * ephemeral pk (32) || Poly1305 tag (16) || ciphertext. Built from BouncyCastle's primitives because the JDK has no
 * XSalsa20 or Poly1305; only HSalsa20 (crypto_box's key derivation) is written out here.
 */
final class SealedBox {
    static final int PUBLIC_KEY_BYTES = 32;
    static final int SEAL_BYTES = 48;
    private static final SecureRandom RANDOM = new SecureRandom();

    private SealedBox() {}

    /** Seals {@code message} for {@code recipientPublicKey} (32 bytes). */
    static byte[] seal(byte[] message, byte[] recipientPublicKey) {
        if (recipientPublicKey.length != PUBLIC_KEY_BYTES) throw new IllegalArgumentException("a public key is 32 bytes");
        X25519PrivateKeyParameters ephemeral = new X25519PrivateKeyParameters(RANDOM);
        byte[] ephemeralPublic = ephemeral.generatePublicKey().getEncoded();
        byte[] nonce = sealNonce(ephemeralPublic, recipientPublicKey);
        byte[] boxed = box(message, nonce, recipientPublicKey, ephemeral.getEncoded());
        byte[] out = new byte[PUBLIC_KEY_BYTES + boxed.length];
        System.arraycopy(ephemeralPublic, 0, out, 0, PUBLIC_KEY_BYTES);
        System.arraycopy(boxed, 0, out, PUBLIC_KEY_BYTES, boxed.length);
        return out;
    }

    /** crypto_box_seal's nonce: BLAKE2b with a 24-byte output, unkeyed, over the two public keys. */
    static byte[] sealNonce(byte[] ephemeralPublic, byte[] recipientPublic) {
        Blake2bDigest blake = new Blake2bDigest(24 * 8);
        blake.update(ephemeralPublic, 0, ephemeralPublic.length);
        blake.update(recipientPublic, 0, recipientPublic.length);
        byte[] nonce = new byte[24];
        blake.doFinal(nonce, 0);
        return nonce;
    }

    /** crypto_box_easy: tag (16) || ciphertext, from {@code senderSecret} to {@code recipientPublic} under a 24-byte nonce. */
    static byte[] box(byte[] message, byte[] nonce, byte[] recipientPublic, byte[] senderSecret) {
        byte[] shared = new byte[32];
        X25519Agreement agreement = new X25519Agreement();
        agreement.init(new X25519PrivateKeyParameters(senderSecret, 0));
        agreement.calculateAgreement(new X25519PublicKeyParameters(recipientPublic, 0), shared, 0); // refuses an all-zero result, as libsodium does
        byte[] key = hsalsa20(shared, new byte[16]); // crypto_box_beforenm
        Arrays.fill(shared, (byte) 0);
        try {
            return secretbox(message, nonce, key);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /**
     * crypto_secretbox (xsalsa20poly1305): the first 32 bytes of the XSalsa20 stream key Poly1305, the rest encrypt
     * the message, and the tag is over the ciphertext alone.
     */
    static byte[] secretbox(byte[] message, byte[] nonce, byte[] key) {
        XSalsa20Engine salsa = new XSalsa20Engine();
        salsa.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] macKey = new byte[32];
        salsa.processBytes(new byte[32], 0, 32, macKey, 0);
        byte[] out = new byte[16 + message.length];
        salsa.processBytes(message, 0, message.length, out, 16);
        Poly1305 poly = new Poly1305();
        poly.init(new KeyParameter(macKey));
        poly.update(out, 16, message.length);
        poly.doFinal(out, 0);
        Arrays.fill(macKey, (byte) 0);
        return out;
    }

    /**
     * HSalsa20 (as in libsodium's crypto_core_hsalsa20): the Salsa20 core's 20 rounds over the constants, the 32-byte
     * key and the 16-byte input, without the final addition, returning words 0, 5, 10, 15, 6, 7, 8, 9.
     */
    static byte[] hsalsa20(byte[] key, byte[] in) {
        int[] x = new int[16];
        x[0] = 0x61707865;
        x[5] = 0x3320646e;
        x[10] = 0x79622d32;
        x[15] = 0x6b206574;
        for (int i = 0; i < 4; i++) {
            x[1 + i] = le(key, i * 4);
            x[11 + i] = le(key, 16 + i * 4);
            x[6 + i] = le(in, i * 4);
        }
        for (int round = 0; round < 20; round += 2) {
            // column round
            x[4] ^= Integer.rotateLeft(x[0] + x[12], 7);
            x[8] ^= Integer.rotateLeft(x[4] + x[0], 9);
            x[12] ^= Integer.rotateLeft(x[8] + x[4], 13);
            x[0] ^= Integer.rotateLeft(x[12] + x[8], 18);
            x[9] ^= Integer.rotateLeft(x[5] + x[1], 7);
            x[13] ^= Integer.rotateLeft(x[9] + x[5], 9);
            x[1] ^= Integer.rotateLeft(x[13] + x[9], 13);
            x[5] ^= Integer.rotateLeft(x[1] + x[13], 18);
            x[14] ^= Integer.rotateLeft(x[10] + x[6], 7);
            x[2] ^= Integer.rotateLeft(x[14] + x[10], 9);
            x[6] ^= Integer.rotateLeft(x[2] + x[14], 13);
            x[10] ^= Integer.rotateLeft(x[6] + x[2], 18);
            x[3] ^= Integer.rotateLeft(x[15] + x[11], 7);
            x[7] ^= Integer.rotateLeft(x[3] + x[15], 9);
            x[11] ^= Integer.rotateLeft(x[7] + x[3], 13);
            x[15] ^= Integer.rotateLeft(x[11] + x[7], 18);
            // row round
            x[1] ^= Integer.rotateLeft(x[0] + x[3], 7);
            x[2] ^= Integer.rotateLeft(x[1] + x[0], 9);
            x[3] ^= Integer.rotateLeft(x[2] + x[1], 13);
            x[0] ^= Integer.rotateLeft(x[3] + x[2], 18);
            x[6] ^= Integer.rotateLeft(x[5] + x[4], 7);
            x[7] ^= Integer.rotateLeft(x[6] + x[5], 9);
            x[4] ^= Integer.rotateLeft(x[7] + x[6], 13);
            x[5] ^= Integer.rotateLeft(x[4] + x[7], 18);
            x[11] ^= Integer.rotateLeft(x[10] + x[9], 7);
            x[8] ^= Integer.rotateLeft(x[11] + x[10], 9);
            x[9] ^= Integer.rotateLeft(x[8] + x[11], 13);
            x[10] ^= Integer.rotateLeft(x[9] + x[8], 18);
            x[12] ^= Integer.rotateLeft(x[15] + x[14], 7);
            x[13] ^= Integer.rotateLeft(x[12] + x[15], 9);
            x[14] ^= Integer.rotateLeft(x[13] + x[12], 13);
            x[15] ^= Integer.rotateLeft(x[14] + x[13], 18);
        }
        byte[] out = new byte[32];
        int[] words = {0, 5, 10, 15, 6, 7, 8, 9};
        for (int i = 0; i < 8; i++) {
            int w = x[words[i]];
            out[i * 4] = (byte) w;
            out[i * 4 + 1] = (byte) (w >>> 8);
            out[i * 4 + 2] = (byte) (w >>> 16);
            out[i * 4 + 3] = (byte) (w >>> 24);
        }
        Arrays.fill(x, 0);
        return out;
    }

    private static int le(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }
}
