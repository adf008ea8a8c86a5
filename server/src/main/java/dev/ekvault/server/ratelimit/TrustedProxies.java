package dev.ekvault.server.ratelimit;

import java.util.ArrayList;
import java.util.List;

/**
 * The proxies whose {@code X-Forwarded-For} is believed: single addresses and CIDR ranges, IPv4 and IPv6, parsed
 * once from {@code rate-limit.trusted-proxies}. An IPv4 entry also matches the same address seen as IPv4-mapped IPv6.
 */
public final class TrustedProxies {
    /** No proxy is trusted: the client is always the socket's remote address. */
    public static final TrustedProxies NONE = new TrustedProxies(List.of(), List.of());

    /** One range: the 16-byte network address with its host bits cleared, and the prefix length over 128 bits. */
    private record Range(byte[] network, int prefix) {
        boolean contains(byte[] address) {
            int fullBytes = prefix / 8;
            for (int i = 0; i < fullBytes; i++) if (address[i] != network[i]) return false;
            int rest = prefix % 8;
            if (rest == 0) return true;
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[fullBytes] & mask) == (network[fullBytes] & mask);
        }
    }

    private final List<Range> ranges;
    private final List<String> entries;

    private TrustedProxies(List<Range> ranges, List<String> entries) {
        this.ranges = ranges;
        this.entries = entries;
    }

    /**
     * Parses entries like {@code 10.0.0.1}, {@code 10.0.0.0/8}, {@code fd00::1} or {@code fd00::/8}; surrounding
     * blanks are ignored. Host bits below the prefix are ignored ({@code 192.168.1.7/24} means {@code 192.168.1.0/24}).
     *
     * @throws IllegalArgumentException naming the first entry that is not an IP address or CIDR range
     */
    public static TrustedProxies parse(List<String> entries) {
        if (entries == null || entries.isEmpty()) return NONE;
        List<Range> ranges = new ArrayList<>(entries.size());
        List<String> kept = new ArrayList<>(entries.size());
        for (String raw : entries) {
            String entry = raw == null ? "" : raw.strip();
            ranges.add(range(entry));
            kept.add(entry);
        }
        return new TrustedProxies(List.copyOf(ranges), List.copyOf(kept));
    }

    private static Range range(String entry) {
        int slash = entry.indexOf('/');
        String addressText = slash < 0 ? entry : entry.substring(0, slash);
        // a port, brackets or a zone make no sense in a proxy list: only bare literals
        byte[] address = addressText.indexOf('[') >= 0 || addressText.indexOf('%') >= 0 || isV4WithPort(addressText)
                ? null : IpAddress.parse(addressText);
        if (address == null) throw invalid(entry);
        boolean v4 = addressText.indexOf(':') < 0;
        int maxPrefix = v4 ? 32 : 128;
        int prefix = maxPrefix;
        if (slash >= 0) {
            String prefixText = entry.substring(slash + 1);
            if (prefixText.isEmpty() || prefixText.length() > 3 || !prefixText.chars().allMatch(ch -> ch >= '0' && ch <= '9')) throw invalid(entry);
            prefix = Integer.parseInt(prefixText);
            if (prefix > maxPrefix) throw invalid(entry);
        }
        // IPv4 ranges live inside ::ffff:0:0/96, where every parsed IPv4 address is
        int prefix128 = v4 ? 96 + prefix : prefix;
        return new Range(mask(address, prefix128), prefix128);
    }

    private static boolean isV4WithPort(String text) {
        int colon = text.indexOf(':');
        return colon >= 0 && text.indexOf(':', colon + 1) < 0;
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] network = address.clone();
        for (int bit = prefix; bit < 128; bit++) network[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        return network;
    }

    private static IllegalArgumentException invalid(String entry) {
        return new IllegalArgumentException("trusted proxy '" + entry
                + "' is not an IP address or a CIDR range (such as 10.0.0.1, 10.0.0.0/8 or fd00::/8)");
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** True when the literal address is inside one of the ranges; false for anything that is not an IP literal. */
    public boolean contains(String address) {
        byte[] parsed = IpAddress.parse(address);
        return parsed != null && contains(parsed);
    }

    boolean contains(byte[] address) {
        for (Range range : ranges) if (range.contains(address)) return true;
        return false;
    }

    @Override
    public String toString() {
        return String.join(",", entries);
    }
}
