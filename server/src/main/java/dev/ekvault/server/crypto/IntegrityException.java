package dev.ekvault.server.crypto;

/** A stored ciphertext failed authentication: tampered with, moved to another row, or sealed by another key. */
public final class IntegrityException extends RuntimeException {
    public IntegrityException(String message) {
        super(message);
    }
}
