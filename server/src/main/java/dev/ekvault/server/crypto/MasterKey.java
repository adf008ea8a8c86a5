package dev.ekvault.server.crypto;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The key that wraps every data key. Its id is a fingerprint (not the key), so logs and rows can name it.
 * {@link #toString()} never shows the key.
 */
public final class MasterKey {
    public static final int LENGTH = 32;
    private final SecretKey key;
    private final int id;

    private MasterKey(byte[] raw) {
        if (raw.length != LENGTH) throw new IllegalArgumentException("a master key is " + LENGTH + " bytes (base64 of 32 random bytes)");
        this.key = new SecretKeySpec(raw, "AES");
        this.id = fingerprint(raw);
    }

    /** Parses the base64 text of a key file or variable; surrounding whitespace is ignored. */
    public static MasterKey fromBase64(String text) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a master key is base64 text of 32 random bytes");
        }
        return new MasterKey(raw);
    }

    public static String generateBase64() {
        byte[] raw = new byte[LENGTH];
        new SecureRandom().nextBytes(raw);
        return Base64.getEncoder().encodeToString(raw);
    }

    public SecretKey secretKey() {
        return key;
    }

    public int id() {
        return id;
    }

    /**
     * A key of its own for one purpose, HMAC-SHA256(master key, label): what it seals can never be opened as anything
     * else, and the master key itself is used only to wrap data keys.
     */
    public SecretKey derive(String label) {
        byte[] raw = key.getEncoded();
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(raw, "HmacSHA256"));
            return new SecretKeySpec(mac.doFinal(label.getBytes(StandardCharsets.UTF_8)), "AES");
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is unavailable", e);
        } finally {
            java.util.Arrays.fill(raw, (byte) 0);
        }
    }

    public String idHex() {
        return String.format("%08x", id);
    }

    private static int fingerprint(byte[] raw) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("ek/master-key-id/v1".getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(sha.digest(raw)).getInt();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "MasterKey[id=" + idHex() + "]";
    }
}
