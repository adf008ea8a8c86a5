package dev.ekvault.server.crypto;

/** The configured master key cannot open this database's data; the server refuses to start. */
public final class WrongMasterKeyException extends RuntimeException {
    public WrongMasterKeyException(String message) {
        super(message);
    }
}
