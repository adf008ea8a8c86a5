package dev.ekvault.server.ratelimit;

/**
 * Strict IPv4 and IPv6 literal parsing, done by hand so that nothing here can ever cause a DNS lookup (which
 * {@code InetAddress.getByName} does for anything it does not recognise as a literal).
 *
 * <p>Every address is held as 16 bytes: IPv4 as the IPv4-mapped IPv6 address {@code ::ffff:a.b.c.d}, so that an
 * IPv4 client seen through a dual-stack socket and the same client seen as plain IPv4 are one address.
 */
final class IpAddress {
    /** Longer than any address form accepted below (a full IPv6 address with an IPv4 tail, a zone and a port). */
    private static final int MAX_LENGTH = 128;

    private IpAddress() {}

    /**
     * The 16-byte form of an IP literal, or null when the text is not one. Accepts {@code 1.2.3.4},
     * {@code 1.2.3.4:port}, {@code 2001:db8::1}, {@code [2001:db8::1]} and {@code [2001:db8::1]:port}; an IPv6 zone
     * ({@code %eth0}) is accepted and dropped. IPv4 parts must be plain decimal without leading zeros (no octal, no
     * shortened forms like {@code 10.1}).
     */
    static byte[] parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_LENGTH) return null;
        String s = text;
        if (s.charAt(0) == '[') {
            int close = s.indexOf(']');
            if (close < 0) return null;
            if (close != s.length() - 1 && !isPort(s, close + 1)) return null;
            return parseV6(s.substring(1, close));
        }
        int colon = s.indexOf(':');
        if (colon < 0) return v4Mapped(parseV4(s));
        if (s.indexOf(':', colon + 1) < 0) {
            // exactly one colon: only "a.b.c.d:port" makes sense
            return isPort(s, colon) ? v4Mapped(parseV4(s.substring(0, colon))) : null;
        }
        return parseV6(s);
    }

    /** True when {@code s} from {@code colon} on is {@code :} followed by a port number 0..65535. */
    private static boolean isPort(String s, int colon) {
        if (s.charAt(colon) != ':') return false;
        int length = s.length() - colon - 1;
        if (length < 1 || length > 5) return false;
        int port = 0;
        for (int i = colon + 1; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < '0' || ch > '9') return false;
            port = port * 10 + (ch - '0');
        }
        return port <= 65_535;
    }

    /** Four bytes, or null. */
    private static byte[] parseV4(String s) {
        if (s == null) return null;
        byte[] bytes = new byte[4];
        int part = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0; i <= s.length(); i++) {
            char ch = i == s.length() ? '.' : s.charAt(i);
            if (ch == '.') {
                if (digits == 0 || part > 3) return null;
                bytes[part++] = (byte) value;
                value = 0;
                digits = 0;
            } else if (ch >= '0' && ch <= '9') {
                if (digits > 0 && value == 0) return null; // leading zero
                value = value * 10 + (ch - '0');
                if (++digits > 3 || value > 255) return null;
            } else {
                return null;
            }
        }
        return part == 4 ? bytes : null;
    }

    private static byte[] v4Mapped(byte[] v4) {
        if (v4 == null) return null;
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(v4, 0, mapped, 12, 4);
        return mapped;
    }

    private static byte[] parseV6(String text) {
        String s = text;
        int zone = s.indexOf('%');
        if (zone >= 0) {
            if (!isZone(s, zone + 1)) return null;
            s = s.substring(0, zone);
        }
        if (s.isEmpty()) return null;
        int doubleColon = s.indexOf("::");
        if (doubleColon >= 0 && s.indexOf("::", doubleColon + 1) >= 0) return null;
        int[] head = new int[8];
        int[] tail = new int[8];
        int headCount;
        int tailCount;
        if (doubleColon < 0) {
            headCount = groups(s, head, true);
            if (headCount != 8) return null;
            tailCount = 0;
        } else {
            String before = s.substring(0, doubleColon);
            String after = s.substring(doubleColon + 2);
            headCount = before.isEmpty() ? 0 : groups(before, head, false);
            tailCount = after.isEmpty() ? 0 : groups(after, tail, true);
            // "::" stands for at least one group of zeros
            if (headCount < 0 || tailCount < 0 || headCount + tailCount > 7) return null;
        }
        if (headCount < 0) return null;
        byte[] bytes = new byte[16];
        for (int i = 0; i < headCount; i++) putGroup(bytes, i, head[i]);
        for (int i = 0; i < tailCount; i++) putGroup(bytes, 8 - tailCount + i, tail[i]);
        return bytes;
    }

    private static boolean isZone(String s, int from) {
        if (from >= s.length()) return false;
        for (int i = from; i < s.length(); i++) {
            char ch = s.charAt(i);
            boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
            if (!ok) return false;
        }
        return true;
    }

    private static void putGroup(byte[] bytes, int group, int value) {
        bytes[group * 2] = (byte) (value >>> 8);
        bytes[group * 2 + 1] = (byte) value;
    }

    /**
     * Parses colon-separated hex groups into {@code out}; the last group may be a dotted IPv4 address (two groups)
     * when {@code ipv4TailAllowed}. Returns the number of groups, or -1 when malformed.
     */
    private static int groups(String s, int[] out, boolean ipv4TailAllowed) {
        int count = 0;
        int start = 0;
        while (true) {
            int end = s.indexOf(':', start);
            String group = end < 0 ? s.substring(start) : s.substring(start, end);
            if (end < 0 && ipv4TailAllowed && group.indexOf('.') >= 0) {
                byte[] v4 = parseV4(group);
                if (v4 == null || count + 2 > 8) return -1;
                out[count++] = ((v4[0] & 0xff) << 8) | (v4[1] & 0xff);
                out[count++] = ((v4[2] & 0xff) << 8) | (v4[3] & 0xff);
                return count;
            }
            int value = hexGroup(group);
            if (value < 0 || count == 8) return -1;
            out[count++] = value;
            if (end < 0) return count;
            start = end + 1;
        }
    }

    private static int hexGroup(String group) {
        if (group.isEmpty() || group.length() > 4) return -1;
        int value = 0;
        for (int i = 0; i < group.length(); i++) {
            int digit = Character.digit(group.charAt(i), 16);
            if (digit < 0 || group.charAt(i) > 'f') return -1; // Character.digit also accepts non-ASCII digits
            value = (value << 4) | digit;
        }
        return value;
    }

    /** True for the IPv4-mapped form {@code ::ffff:a.b.c.d}, i.e. for every parsed IPv4 address. */
    static boolean isV4Mapped(byte[] address) {
        for (int i = 0; i < 10; i++) if (address[i] != 0) return false;
        return address[10] == (byte) 0xff && address[11] == (byte) 0xff;
    }

    /** The canonical text: dotted decimal for IPv4 (mapped), otherwise RFC 5952 (lower case, longest zero run as ::). */
    static String format(byte[] address) {
        if (isV4Mapped(address)) {
            return (address[12] & 0xff) + "." + (address[13] & 0xff) + "." + (address[14] & 0xff) + "." + (address[15] & 0xff);
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) groups[i] = ((address[i * 2] & 0xff) << 8) | (address[i * 2 + 1] & 0xff);
        int bestStart = -1;
        int bestLength = 1; // a single zero group is not shortened
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) j++;
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') text.append(':');
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }
}
