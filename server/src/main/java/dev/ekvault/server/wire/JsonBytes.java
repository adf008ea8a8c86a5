package dev.ekvault.server.wire;

/** A JSON response body serialised already (a cached answer): sent as {@code application/json} as it is. */
public record JsonBytes(byte[] bytes) {}
