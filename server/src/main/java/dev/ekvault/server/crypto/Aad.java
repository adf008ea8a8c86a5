package dev.ekvault.server.crypto;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Additional authenticated data: the purpose and the row a ciphertext belongs to, length-prefixed so no two
 * different rows encode alike. A ciphertext copied to another row fails authentication on decryption.
 */
public final class Aad {
    private Aad() {}

    public static byte[] of(String purpose, String... rowParts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        append(out, purpose);
        for (String part : rowParts) append(out, part);
        return out.toByteArray();
    }

    private static void append(ByteArrayOutputStream out, String part) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0xFFFF) throw new IllegalArgumentException("an AAD part is longer than its two-byte length prefix allows");
        out.write(bytes.length >>> 8);
        out.write(bytes.length);
        out.writeBytes(bytes);
    }

    /** A secret value: bound to its workspace, project, environment, secret, version and owner ('' when shared). */
    public static byte[] secretValue(String workspaceId, String projectId, String environmentId, String secretId,
                                     long version, String ownerId) {
        return of("ek/secret-value/v1", workspaceId, projectId, environmentId, secretId, Long.toString(version), ownerId);
    }

    /** An environment's data key, wrapped by the master key. */
    public static byte[] dataKey(String workspaceId, String environmentId, int keyId) {
        return of("ek/data-key/v1", workspaceId, environmentId, Integer.toString(keyId));
    }
}
