package dev.ekvault.server.people;

import dev.ekvault.server.crypto.Argon2id;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Passwords as Argon2id (Bouncy Castle), stored in the PHC string form {@code $argon2id$v=19$m=…,t=…,p=…$salt$hash}
 * so the parameters can be raised later without breaking stored hashes. Verification of an unknown email runs against
 * a fixed dummy hash, so a wrong email and a wrong password cost the same time.
 */
public final class PasswordHasher {
    /** OWASP's recommended Argon2id floor: 19 MiB, two passes, one lane. */
    private static final int MEMORY_KIB = 19 * 1024;
    private static final int ITERATIONS = 2;
    private static final int PARALLELISM = 1;
    private static final int HASH_BYTES = 32;
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    /**
     * What an unknown email is checked against: the hash, with today's parameters, of 32 random bytes that were thrown
     * away. A constant rather than hashed at start, which took a second of every cold start; it is never matched
     * ({@link #verify} answers false for it whatever the password), it only costs the same time as a real check.
     */
    private static final String DUMMY = "$argon2id$v=19$m=19456,t=2,p=1$uK6T0lYna7IDPPn0HWhGcA$bNabPh5wfc1DWOU12Ecywj43dpphFwqyTh6EgzfFTM4";

    private final SecureRandom random = new SecureRandom();
    private final String dummy = DUMMY;

    public PasswordHasher() {
        if (!DUMMY.startsWith("$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM + "$")) {
            throw new IllegalStateException("the dummy hash must use the current Argon2 parameters");
        }
    }

    public String hash(String password) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        byte[] hash = Argon2id.derive(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES);
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM + "$" + B64.encodeToString(salt) + "$"
                + B64.encodeToString(hash);
    }

    /** True when {@code password} matches {@code stored}; a null {@code stored} (no such person) checks the dummy. */
    public boolean verify(String password, String stored) {
        boolean known = stored != null;
        String[] parts = (known ? stored : dummy).split("\\$");
        if (parts.length != 6 || !parts[1].equals("argon2id")) return false;
        int memory = 0;
        int iterations = 0;
        int parallelism = 0;
        for (String parameter : parts[3].split(",")) {
            int value = Integer.parseInt(parameter.substring(2));
            switch (parameter.charAt(0)) {
                case 'm' -> memory = value;
                case 't' -> iterations = value;
                case 'p' -> parallelism = value;
                default -> { }
            }
        }
        byte[] expected = B64D.decode(parts[5]);
        byte[] actual = Argon2id.derive(password, B64D.decode(parts[4]), memory, iterations, parallelism, HASH_BYTES);
        return MessageDigest.isEqual(expected, actual) && known;
    }
}
