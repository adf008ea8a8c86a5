package dev.ekvault.server.config;

/** A setting is missing or invalid; the message names the setting and never holds a secret value. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
