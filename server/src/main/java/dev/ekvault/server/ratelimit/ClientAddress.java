package dev.ekvault.server.ratelimit;

import java.util.ArrayList;
import java.util.List;

/**
 * Who the client is, for per-IP rate limiting: the socket's remote address, unless that is a trusted proxy, in
 * which case the right-most address in {@code X-Forwarded-For} that is not itself a trusted proxy.
 *
 * <p>{@code X-Forwarded-For} is written by the client first and appended to by each proxy, so only the entries
 * added by proxies we trust can be believed: walking from the right and stopping at the first untrusted entry
 * means a client cannot choose its own address by sending the header itself. An entry that is not an IP literal
 * stops the walk too, and the last trusted hop is answered instead (it is the last address we can vouch for).
 *
 * <p>Addresses are answered in one canonical form (IPv4 dotted decimal, also for IPv4-mapped IPv6; IPv6 in RFC 5952
 * form; no port, brackets or zone), so one client is one key however it was written.
 */
public final class ClientAddress {
    private ClientAddress() {}

    /**
     * The client address, with the trusted proxies parsed on every call; servers should parse them once with
     * {@link TrustedProxies#parse} and use {@link #resolve(String, List, TrustedProxies)}.
     *
     * @throws IllegalArgumentException when a trusted-proxy entry is not an IP address or CIDR range
     */
    public static String resolve(String remoteAddress, List<String> xForwardedForHeaderValues, List<String> trustedProxies) {
        return resolve(remoteAddress, xForwardedForHeaderValues, TrustedProxies.parse(trustedProxies));
    }

    /**
     * The client address.
     *
     * @param remoteAddress             the socket's remote address; when it is not an IP literal (say, a Unix socket)
     *                                  it is answered unchanged and {@code X-Forwarded-For} is not consulted
     * @param xForwardedForHeaderValues every {@code X-Forwarded-For} line in the order received (null or empty when
     *                                  there is none); the lines are read as one comma-separated list
     */
    public static String resolve(String remoteAddress, List<String> xForwardedForHeaderValues, TrustedProxies trustedProxies) {
        byte[] remote = IpAddress.parse(remoteAddress);
        if (remote == null) return remoteAddress == null ? "" : remoteAddress;
        if (trustedProxies == null || !trustedProxies.contains(remote)) return IpAddress.format(remote);
        byte[] lastTrusted = remote;
        List<String> entries = entries(xForwardedForHeaderValues);
        for (int i = entries.size() - 1; i >= 0; i--) {
            byte[] hop = IpAddress.parse(entries.get(i));
            if (hop == null) break; // garbage: believe nothing to its left
            if (!trustedProxies.contains(hop)) return IpAddress.format(hop);
            lastTrusted = hop;
        }
        return IpAddress.format(lastTrusted);
    }

    /** The comma-separated entries of every line, in order, stripped; empty list elements are skipped (RFC 9110 §5.6.1). */
    private static List<String> entries(List<String> headerValues) {
        if (headerValues == null || headerValues.isEmpty()) return List.of();
        List<String> entries = new ArrayList<>();
        for (String line : headerValues) {
            if (line == null) continue;
            for (String entry : line.split(",", -1)) {
                String stripped = entry.strip();
                if (!stripped.isEmpty()) entries.add(stripped);
            }
        }
        return entries;
    }
}
