package dev.ekvault.server.access;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * API tokens: {@code ek_live_} followed by the base62 form of 32 random bytes (43 characters). Only the SHA-256 of
 * a token is stored (256 random bits need no salt) and a short display prefix. Shape is checked before any hashing
 * or lookup, so garbage costs almost nothing.
 */
public final class TokenFormat {
    public static final String PREFIX = "ek_live_";
    /** Sign-in sessions (dashboard cookie, {@code ek login}): same shape, another prefix, so logs and scanners tell them apart. */
    public static final String SESSION_PREFIX = "ek_sess_";
    private static final int BODY_LENGTH = 43;
    public static final int LENGTH = PREFIX.length() + BODY_LENGTH;
    private static final int DISPLAY_PREFIX_LENGTH = PREFIX.length() + 4;
    private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final BigInteger BASE = BigInteger.valueOf(62);
    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenFormat() {}

    public static String generate() {
        return generate(PREFIX);
    }

    public static String generate(String prefix) {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        BigInteger n = new BigInteger(1, raw);
        char[] body = new char[BODY_LENGTH];
        for (int i = BODY_LENGTH - 1; i >= 0; i--) {
            BigInteger[] qr = n.divideAndRemainder(BASE);
            body[i] = ALPHABET[qr[1].intValue()];
            n = qr[0];
        }
        return prefix + new String(body);
    }

    /** True for exactly the shape {@link #generate(String)} produces, with either prefix. */
    public static boolean isWellFormed(String token) {
        if (token == null || token.length() != LENGTH || !(token.startsWith(PREFIX) || token.startsWith(SESSION_PREFIX))) return false;
        for (int i = PREFIX.length(); i < LENGTH; i++) {
            char c = token.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')) return false;
        }
        return true;
    }

    public static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What lists show so people can tell tokens apart: {@code ek_live_AbCd}. */
    public static String displayPrefix(String token) {
        return token.substring(0, DISPLAY_PREFIX_LENGTH);
    }
}
