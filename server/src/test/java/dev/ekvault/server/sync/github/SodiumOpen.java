package dev.ekvault.server.sync.github;

import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.bouncycastle.crypto.engines.Salsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The test's own {@code crypto_box_seal_open}, written apart from the server's {@link SealedBox} on purpose and by
 * another route: HSalsa20 from BouncyCastle's Salsa20 core (its output minus the input words), XSalsa20 as HSalsa20
 * over the nonce's first 16 bytes then plain Salsa20 with its last 8. What this opens, libsodium would have too.
 */
final class SodiumOpen {
    private SodiumOpen() {}

    /** The plaintext, or null when the box does not open (wrong key, tampered). */
    static byte[] sealOpen(byte[] sealed, byte[] recipientPublic, byte[] recipientSecret) {
        if (sealed.length < 48) return null;
        byte[] epk = Arrays.copyOfRange(sealed, 0, 32);
        Blake2bDigest blake = new Blake2bDigest(192);
        blake.update(epk, 0, 32);
        blake.update(recipientPublic, 0, 32);
        byte[] nonce = new byte[24];
        blake.doFinal(nonce, 0);
        return boxOpen(Arrays.copyOfRange(sealed, 32, sealed.length), nonce, epk, recipientSecret);
    }

    /** crypto_box_open_easy: {@code boxed} is tag || ciphertext. */
    static byte[] boxOpen(byte[] boxed, byte[] nonce, byte[] senderPublic, byte[] recipientSecret) {
        byte[] shared = new byte[32];
        X25519Agreement agreement = new X25519Agreement();
        agreement.init(new X25519PrivateKeyParameters(recipientSecret, 0));
        agreement.calculateAgreement(new X25519PublicKeyParameters(senderPublic, 0), shared, 0);
        byte[] key = hsalsa(shared, new byte[16]);
        byte[] subkey = hsalsa(key, Arrays.copyOfRange(nonce, 0, 16));
        Salsa20Engine salsa = new Salsa20Engine();
        salsa.init(false, new ParametersWithIV(new KeyParameter(subkey), Arrays.copyOfRange(nonce, 16, 24)));
        byte[] block0 = new byte[32];
        salsa.processBytes(new byte[32], 0, 32, block0, 0);
        Poly1305 poly = new Poly1305();
        poly.init(new KeyParameter(block0));
        poly.update(boxed, 16, boxed.length - 16);
        byte[] tag = new byte[16];
        poly.doFinal(tag, 0);
        if (!MessageDigest.isEqual(tag, Arrays.copyOfRange(boxed, 0, 16))) return null;
        byte[] plain = new byte[boxed.length - 16];
        salsa.processBytes(boxed, 16, plain.length, plain, 0);
        return plain;
    }

    private static int le(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    /** HSalsa20 as Salsa20's core output with the input added back out of the eight words it returns. */
    static byte[] hsalsa(byte[] key, byte[] in) {
        int[] input = new int[16];
        input[0] = 0x61707865;
        input[5] = 0x3320646e;
        input[10] = 0x79622d32;
        input[15] = 0x6b206574;
        for (int i = 0; i < 4; i++) {
            input[1 + i] = le(key, 4 * i);
            input[11 + i] = le(key, 16 + 4 * i);
            input[6 + i] = le(in, 4 * i);
        }
        int[] out = new int[16];
        Salsa20Engine.salsaCore(20, input, out);
        int[] pick = {0, 5, 10, 15, 6, 7, 8, 9};
        byte[] result = new byte[32];
        for (int i = 0; i < 8; i++) {
            int w = out[pick[i]] - input[pick[i]];
            for (int b = 0; b < 4; b++) result[4 * i + b] = (byte) (w >>> (8 * b));
        }
        return result;
    }
}
