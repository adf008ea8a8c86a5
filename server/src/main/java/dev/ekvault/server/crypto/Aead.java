package dev.ekvault.server.crypto;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * AES-256-GCM with a versioned envelope: {@code [format 1 byte][key id 4 bytes][nonce 12 bytes][ciphertext + tag]}.
 * The format byte lets the layout change later; the key id names the key that sealed it, so keys rotate without
 * re-encrypting everything at once. The header is itself authenticated (it is prepended to the AAD).
 */
public final class Aead {
    public static final byte FORMAT_V1 = 1;
    private static final int HEADER = 1 + 4;
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Aead() {}

    public static byte[] seal(SecretKey key, int keyId, byte[] plaintext, byte[] aad) {
        byte[] nonce = new byte[NONCE];
        RANDOM.nextBytes(nonce);
        ByteBuffer header = ByteBuffer.allocate(HEADER).put(FORMAT_V1).putInt(keyId);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(header.array());
            cipher.updateAAD(aad);
            byte[] sealed = cipher.doFinal(plaintext);
            return ByteBuffer.allocate(HEADER + NONCE + sealed.length).put(header.array()).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
    }

    /** The key id a ciphertext was sealed with, read before choosing the key to open it. */
    public static int keyId(byte[] ciphertext) {
        checkHeader(ciphertext);
        return ByteBuffer.wrap(ciphertext, 1, 4).getInt();
    }

    public static byte[] open(SecretKey key, byte[] ciphertext, byte[] aad) {
        checkHeader(ciphertext);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, ciphertext, HEADER, NONCE));
            cipher.updateAAD(ciphertext, 0, HEADER);
            cipher.updateAAD(aad);
            return cipher.doFinal(ciphertext, HEADER + NONCE, ciphertext.length - HEADER - NONCE);
        } catch (AEADBadTagException e) {
            throw new IntegrityException("ciphertext does not authenticate for this row and key");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
    }

    private static void checkHeader(byte[] ciphertext) {
        if (ciphertext == null || ciphertext.length < HEADER + NONCE + TAG_BITS / 8) {
            throw new IntegrityException("ciphertext is truncated");
        }
        if (ciphertext[0] != FORMAT_V1) throw new IntegrityException("unknown ciphertext format " + ciphertext[0]);
    }
}
