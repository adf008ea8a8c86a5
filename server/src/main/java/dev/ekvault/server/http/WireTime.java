package dev.ekvault.server.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Timestamps on the wire: ISO-8601 UTC with milliseconds, e.g. {@code 2026-01-01T00:00:00.000Z}. */
public final class WireTime {
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private WireTime() {}

    public static String format(long epochMillis) {
        return FORMAT.format(Instant.ofEpochMilli(epochMillis));
    }

    public static String formatNullable(Long epochMillis) {
        return epochMillis == null ? null : format(epochMillis);
    }
}
