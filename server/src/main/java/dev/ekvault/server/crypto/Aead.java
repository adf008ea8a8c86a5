package dev.ekvault.server.crypto;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

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
    /**
     * Ciphers to reuse: {@code Cipher.getInstance} walks the provider list on every call, which cost more than the
     * decryption of a short value. A cipher is taken by one caller at a time and always initialised (key and nonce)
     * before use; past {@value #POOLED} idle ones the extras are dropped.
     */
    private static final int POOLED = 64;
    private static final ConcurrentLinkedQueue<Cipher> IDLE = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger IDLE_COUNT = new AtomicInteger();

    private Aead() {}

    public static byte[] seal(SecretKey key, int keyId, byte[] plaintext, byte[] aad) {
        byte[] nonce = new byte[NONCE];
        RANDOM.nextBytes(nonce);
        ByteBuffer header = ByteBuffer.allocate(HEADER).put(FORMAT_V1).putInt(keyId);
        Cipher cipher = take();
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(header.array());
            cipher.updateAAD(aad);
            byte[] sealed = cipher.doFinal(plaintext);
            return ByteBuffer.allocate(HEADER + NONCE + sealed.length).put(header.array()).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        } finally {
            giveBack(cipher);
        }
    }

    /** The key id a ciphertext was sealed with, read before choosing the key to open it. */
    public static int keyId(byte[] ciphertext) {
        checkHeader(ciphertext);
        return ByteBuffer.wrap(ciphertext, 1, 4).getInt();
    }

    public static byte[] open(SecretKey key, byte[] ciphertext, byte[] aad) {
        checkHeader(ciphertext);
        Cipher cipher = take();
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, ciphertext, HEADER, NONCE));
            cipher.updateAAD(ciphertext, 0, HEADER);
            cipher.updateAAD(aad);
            return cipher.doFinal(ciphertext, HEADER + NONCE, ciphertext.length - HEADER - NONCE);
        } catch (AEADBadTagException e) {
            throw new IntegrityException("ciphertext does not authenticate for this row and key");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        } finally {
            giveBack(cipher);
        }
    }

    private static Cipher take() {
        Cipher cipher = IDLE.poll();
        if (cipher != null) {
            IDLE_COUNT.decrementAndGet();
            return cipher;
        }
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
    }

    private static void giveBack(Cipher cipher) {
        if (IDLE_COUNT.incrementAndGet() <= POOLED) IDLE.offer(cipher);
        else IDLE_COUNT.decrementAndGet();
    }

    private static void checkHeader(byte[] ciphertext) {
        if (ciphertext == null || ciphertext.length < HEADER + NONCE + TAG_BITS / 8) {
            throw new IntegrityException("ciphertext is truncated");
        }
        if (ciphertext[0] != FORMAT_V1) throw new IntegrityException("unknown ciphertext format " + ciphertext[0]);
    }
}
