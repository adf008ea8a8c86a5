package dev.ekvault.server.wire;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Timestamps on the wire: ISO-8601 UTC with milliseconds, e.g. {@code 2026-01-01T00:00:00.000Z}. */
public final class WireTime {
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private WireTime() {}

    /** 9999-12-31T23:59:59.999Z: up to here the fast path below writes exactly what {@link #FORMAT} would. */
    private static final long FAST_PATH_LIMIT = 253_402_300_799_999L;

    public static String format(long epochMillis) {
        if (epochMillis < 0 || epochMillis > FAST_PATH_LIMIT) return FORMAT.format(Instant.ofEpochMilli(epochMillis));
        // every secret in a list answer carries two of these: written by hand, it costs a tenth of the formatter
        long days = epochMillis / 86_400_000L;
        int millisOfDay = (int) (epochMillis % 86_400_000L);
        // civil date from days since 1970-01-01 (H. Hinnant's algorithm, proleptic Gregorian as java.time)
        long z = days + 719_468;
        long era = z / 146_097;
        long doe = z - era * 146_097;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        int day = (int) (doy - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        int year = (int) (yoe + era * 400 + (month <= 2 ? 1 : 0));
        char[] out = new char[24];
        digits(out, 0, year, 4);
        out[4] = '-';
        digits(out, 5, month, 2);
        out[7] = '-';
        digits(out, 8, day, 2);
        out[10] = 'T';
        digits(out, 11, millisOfDay / 3_600_000, 2);
        out[13] = ':';
        digits(out, 14, millisOfDay / 60_000 % 60, 2);
        out[16] = ':';
        digits(out, 17, millisOfDay / 1000 % 60, 2);
        out[19] = '.';
        digits(out, 20, millisOfDay % 1000, 3);
        out[23] = 'Z';
        return new String(out);
    }

    private static void digits(char[] out, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    /** A time a client sends (a query parameter): ISO-8601 with a zone, e.g. {@code 2026-01-31T12:00:00Z}; null stays null. */
    public static Long parse(String value, String name) {
        if (value == null) return null;
        try {
            return Instant.parse(value).toEpochMilli();
        } catch (java.time.format.DateTimeParseException e) {
            throw ApiException.badRequest("query '" + name + "' must be an ISO-8601 time such as 2026-01-31T12:00:00Z");
        }
    }

    public static String formatNullable(Long epochMillis) {
        return epochMillis == null ? null : format(epochMillis);
    }
}
