package dev.ekvault.server.share;

import dev.ekvault.server.crypto.Aad;
import dev.ekvault.server.crypto.Aead;
import dev.ekvault.server.crypto.Argon2id;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A share's cryptography. The link token is {@code ek_share_} + base64url(32 random bytes); the server keeps only its
 * SHA-256 (for lookup), so without the link nobody — the server, an operator with the database and the master key —
 * can derive the content key:
 * {@code key = HKDF-SHA256(ikm = tokenSecret || Argon2id(password, salt), salt = share id, info = "ek/secret-share/v1")},
 * the Argon2id part present only when the share has a password. The content is AES-256-GCM ({@link Aead}) with an AAD
 * that binds it to its share, workspace and project, so a ciphertext moved to another row does not open; a wrong
 * password is a tag that does not authenticate.
 */
final class ShareCrypto {
    static final String PREFIX = "ek_share_";
    private static final int SECRET_BYTES = 32;
    private static final int BODY_LENGTH = 43; // base64url of 32 bytes, unpadded
    static final int TOKEN_LENGTH = PREFIX.length() + BODY_LENGTH;
    private static final byte[] INFO = "ek/secret-share/v1".getBytes(StandardCharsets.US_ASCII);
    /** The key id in the envelope: shares have one key each, derived, never stored. */
    private static final int KEY_ID = 0;
    /** OWASP's Argon2id floor, as for people's passwords: 19 MiB, two passes, one lane. */
    private static final int ARGON_MEMORY_KIB = 19 * 1024;
    private static final int ARGON_ITERATIONS = 2;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ShareCrypto() {}

    static String newToken() {
        byte[] secret = new byte[SECRET_BYTES];
        RANDOM.nextBytes(secret);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    static byte[] newSalt() {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return salt;
    }

    /** Exactly the shape {@link #newToken} makes: anything else is refused before hashing or lookup. */
    static boolean isWellFormed(String token) {
        if (token == null || token.length() != TOKEN_LENGTH || !token.startsWith(PREFIX)) return false;
        for (int i = PREFIX.length(); i < TOKEN_LENGTH; i++) {
            char c = token.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_')) return false;
        }
        // 43 characters carry 258 bits: the last one holds 4 bits of the 32 bytes and 2 zero bits (the canonical form only,
        // so one token has one spelling and one hash)
        return "AEIMQUYcgkosw048".indexOf(token.charAt(TOKEN_LENGTH - 1)) >= 0;
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] seal(String token, String password, byte[] salt, String shareId, String workspaceId, String projectId, byte[] content) {
        byte[] key = key(token, password, salt, shareId);
        try {
            return Aead.seal(new SecretKeySpec(key, "AES"), KEY_ID, content, aad(shareId, workspaceId, projectId));
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** The content, or null when it does not authenticate (a wrong password, or a ciphertext moved from another row). */
    static byte[] open(String token, String password, byte[] salt, String shareId, String workspaceId, String projectId, byte[] ciphertext) {
        byte[] key = key(token, password, salt, shareId);
        try {
            SecretKey aes = new SecretKeySpec(key, "AES");
            return Aead.open(aes, ciphertext, aad(shareId, workspaceId, projectId));
        } catch (dev.ekvault.server.crypto.IntegrityException e) {
            return null;
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    private static byte[] aad(String shareId, String workspaceId, String projectId) {
        return Aad.of("ek/secret-share/v1", shareId, workspaceId, projectId);
    }

    private static byte[] key(String token, String password, byte[] salt, String shareId) {
        byte[] secret = Base64.getUrlDecoder().decode(token.substring(PREFIX.length()));
        byte[] ikm;
        if (salt == null) {
            ikm = secret;
        } else {
            byte[] stretched = argon2(password == null ? "" : password, salt);
            ikm = new byte[secret.length + stretched.length];
            System.arraycopy(secret, 0, ikm, 0, secret.length);
            System.arraycopy(stretched, 0, ikm, secret.length, stretched.length);
            Arrays.fill(stretched, (byte) 0);
            Arrays.fill(secret, (byte) 0);
        }
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(ikm, shareId.getBytes(StandardCharsets.US_ASCII), INFO));
        byte[] key = new byte[32];
        hkdf.generateBytes(key, 0, key.length);
        Arrays.fill(ikm, (byte) 0);
        return key;
    }

    private static byte[] argon2(String password, byte[] salt) {
        return Argon2id.derive(password, salt, ARGON_MEMORY_KIB, ARGON_ITERATIONS, 1, 32);
    }
}
