package dev.ekvault.server.crypto;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The key that wraps every data key and seals the few other things kept under it (the verifier, JWT signing keys, sync
 * credentials). Its id is a fingerprint (not the key), so logs and rows can name it, and every envelope it seals
 * carries that id in its header. {@link #toString()} never shows the key.
 *
 * <p>A serving node's key can be replaced while it runs ({@link #switchTo}, when the database was rotated to a new key:
 * see {@code keyrotation/MasterKeyFollower}); the key it replaced stays able to open what it sealed until
 * {@link #forgetPrevious}. So callers seal and open through this object ({@link #seal}, {@link #open},
 * {@link #sealDerived}, {@link #openDerived}), which read the key and its id together and open with the key the
 * envelope names, rather than holding the raw key.
 */
public final class MasterKey {
    public static final int LENGTH = 32;

    /** One key: the AES key, its fingerprint and the keys derived from it so far (by label). */
    private record Key(SecretKey key, int id, Map<String, SecretKey> derived) {
        SecretKey derive(String label) {
            return derived.computeIfAbsent(label, l -> hmac(key, l));
        }
    }

    /** The key that seals, and the one it replaced (null once forgotten, or when there never was one). */
    private record State(Key current, Key previous) {}

    private volatile State state;

    private MasterKey(byte[] raw) {
        if (raw.length != LENGTH) throw new IllegalArgumentException("a master key is " + LENGTH + " bytes (base64 of 32 random bytes)");
        this.state = new State(new Key(new SecretKeySpec(raw, "AES"), fingerprint(raw), new ConcurrentHashMap<>()), null);
    }

    private MasterKey(Key key) {
        this.state = new State(key, null);
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

    /** The current key (tests and the verifier check; everything else seals and opens through this object). */
    public SecretKey secretKey() {
        return state.current().key();
    }

    public int id() {
        return state.current().id();
    }

    public String idHex() {
        return hex(id());
    }

    public static String hex(int id) {
        return String.format("%08x", id);
    }

    /** Seals under the current key, its id in the envelope's header. */
    public byte[] seal(byte[] plaintext, byte[] aad) {
        Key key = state.current();
        return Aead.seal(key.key(), key.id(), plaintext, aad);
    }

    /** Opens with the key the envelope names: the current one, or the one it replaced while that is still held. */
    public byte[] open(byte[] ciphertext, byte[] aad) {
        return Aead.open(keyFor(Aead.keyId(ciphertext)).key(), ciphertext, aad);
    }

    /** {@link #seal} under the key derived for {@code label} (see {@link #derive}). */
    public byte[] sealDerived(String label, byte[] plaintext, byte[] aad) {
        Key key = state.current();
        return Aead.seal(key.derive(label), key.id(), plaintext, aad);
    }

    /** {@link #open} with the key derived for {@code label} from the master key the envelope names. */
    public byte[] openDerived(String label, byte[] ciphertext, byte[] aad) {
        return Aead.open(keyFor(Aead.keyId(ciphertext)).derive(label), ciphertext, aad);
    }

    /**
     * A key of its own for one purpose, HMAC-SHA256(master key, label): what it seals can never be opened as anything
     * else, and the master key itself is used only to wrap data keys.
     */
    public SecretKey derive(String label) {
        return state.current().derive(label);
    }

    /**
     * From now on seal with {@code next}'s key; this key stays able to open what it sealed until {@link #forgetPrevious}
     * (another node may have sealed under it a moment before it too switched).
     */
    public void switchTo(MasterKey next) {
        synchronized (this) {
            State now = state;
            Key to = next.state.current();
            if (to.id() == now.current().id()) return;
            state = new State(to, now.current());
        }
    }

    /** The key this one replaced, while it is still held; null otherwise. */
    public MasterKey previous() {
        Key previous = state.previous();
        return previous == null ? null : new MasterKey(previous);
    }

    /** Stops opening with the replaced key: a ciphertext still under it is refused from now on. */
    public void forgetPrevious() {
        synchronized (this) {
            state = new State(state.current(), null);
        }
    }

    private Key keyFor(int id) {
        State now = state;
        if (now.previous() != null && now.previous().id() == id) return now.previous();
        return now.current(); // any other id fails authentication, as a wrong key should
    }

    private static SecretKey hmac(SecretKey key, String label) {
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
