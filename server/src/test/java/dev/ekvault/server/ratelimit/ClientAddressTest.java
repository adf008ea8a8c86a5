package dev.ekvault.server.ratelimit;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClientAddressTest {
    private static final List<String> PROXY = List.of("10.0.0.5");

    @Test
    void withoutTrustedProxiesForwardedForIsIgnored() {
        assertThat(ClientAddress.resolve("198.51.100.9", List.of("1.2.3.4"), List.of())).isEqualTo("198.51.100.9");
        assertThat(ClientAddress.resolve("198.51.100.9", List.of("1.2.3.4, 5.6.7.8"), TrustedProxies.NONE)).isEqualTo("198.51.100.9");
        assertThat(ClientAddress.resolve("198.51.100.9", null, List.of())).isEqualTo("198.51.100.9");
    }

    @Test
    void forwardedForFromAnUntrustedPeerIsIgnored() {
        // the peer is not the proxy: it is a client spoofing the header
        assertThat(ClientAddress.resolve("198.51.100.9", List.of("10.0.0.5, 1.2.3.4"), PROXY)).isEqualTo("198.51.100.9");
    }

    @Test
    void behindATrustedProxyTheRightMostUntrustedEntryIsTheClient() {
        assertThat(ClientAddress.resolve("10.0.0.5", List.of("203.0.113.7"), PROXY)).isEqualTo("203.0.113.7");
        // the client sent "X-Forwarded-For: 1.2.3.4" itself; the proxy appended the address it saw
        assertThat(ClientAddress.resolve("10.0.0.5", List.of("1.2.3.4, 203.0.113.7"), PROXY)).isEqualTo("203.0.113.7");
    }

    @Test
    void aTrustedProxyWithoutForwardedForIsTheClient() {
        assertThat(ClientAddress.resolve("10.0.0.5", List.of(), PROXY)).isEqualTo("10.0.0.5");
        assertThat(ClientAddress.resolve("10.0.0.5", null, PROXY)).isEqualTo("10.0.0.5");
        assertThat(ClientAddress.resolve("10.0.0.5", List.of(" , "), PROXY)).isEqualTo("10.0.0.5");
    }

    @Test
    void chainsOfTrustedProxiesAreSkipped() {
        List<String> proxies = List.of("10.0.0.5", "10.0.0.6", "192.0.2.1");
        assertThat(ClientAddress.resolve("10.0.0.5", List.of("1.1.1.1, 203.0.113.7, 192.0.2.1, 10.0.0.6"), proxies)).isEqualTo("203.0.113.7");
        // every hop trusted: the furthest one is as far as we can see
        assertThat(ClientAddress.resolve("10.0.0.5", List.of("192.0.2.1, 10.0.0.6"), proxies)).isEqualTo("192.0.2.1");
        // an untrusted hop in the middle stops the walk: what it claims is not believed
        assertThat(ClientAddress.resolve("10.0.0.5", List.of("1.1.1.1, 192.0.2.1, 203.0.113.7, 10.0.0.6"), proxies)).isEqualTo("203.0.113.7");
    }

    @Test
    void cidrRangesOfBothFamilies() {
        List<String> proxies = List.of("10.0.0.0/8", "172.16.0.0/12", "fd00::/8", "2001:db8:1::/48");
        assertThat(ClientAddress.resolve("10.200.3.4", List.of("203.0.113.7, 172.31.255.255"), proxies)).isEqualTo("203.0.113.7");
        assertThat(ClientAddress.resolve("10.200.3.4", List.of("203.0.113.7, 172.32.0.1"), proxies)).as("outside /12").isEqualTo("172.32.0.1");
        assertThat(ClientAddress.resolve("fd12:3456::1", List.of("2001:db8:2::9, 2001:db8:1:ffff::1"), proxies)).isEqualTo("2001:db8:2::9");
        assertThat(ClientAddress.resolve("fe80::1", List.of("203.0.113.7"), proxies)).as("fe80:: is not in fd00::/8").isEqualTo("fe80::1");
        assertThat(ClientAddress.resolve("11.0.0.1", List.of("203.0.113.7"), proxies)).as("outside /8").isEqualTo("11.0.0.1");
        // a prefix that is not a byte boundary, and host bits in the entry ignored
        assertThat(ClientAddress.resolve("192.168.1.130", List.of("203.0.113.7"), List.of("192.168.1.129/25"))).isEqualTo("203.0.113.7");
        assertThat(ClientAddress.resolve("192.168.1.127", List.of("203.0.113.7"), List.of("192.168.1.129/25"))).isEqualTo("192.168.1.127");
        assertThat(ClientAddress.resolve("203.0.113.7", List.of("1.2.3.4"), List.of("0.0.0.0/0"))).as("/0 trusts every IPv4").isEqualTo("1.2.3.4");
        assertThat(ClientAddress.resolve("2001:db8::1", List.of("1.2.3.4"), List.of("0.0.0.0/0"))).as("but no IPv6").isEqualTo("2001:db8::1");
    }

    @Test
    void ipv4SeenAsMappedIpv6IsTheSameAddress() {
        assertThat(ClientAddress.resolve("::ffff:10.0.0.5", List.of("203.0.113.7"), PROXY)).isEqualTo("203.0.113.7");
        assertThat(ClientAddress.resolve("::ffff:198.51.100.9", List.of(), List.of())).isEqualTo("198.51.100.9");
    }

    @Test
    void addressesComeOutInOneCanonicalForm() {
        assertThat(ClientAddress.resolve("0:0:0:0:0:0:0:1", null, List.of())).isEqualTo("::1");
        assertThat(ClientAddress.resolve("[2001:DB8:0:0:1:0:0:1]", null, List.of())).isEqualTo("2001:db8::1:0:0:1");
        assertThat(ClientAddress.resolve("fe80::1%eth0", null, List.of())).isEqualTo("fe80::1");
        assertThat(ClientAddress.resolve("10.0.0.5", List.of("[2001:db8::7]:4711"), PROXY)).isEqualTo("2001:db8::7");
        assertThat(ClientAddress.resolve("10.0.0.5", List.of("203.0.113.7:4711"), PROXY)).isEqualTo("203.0.113.7");
    }

    @Test
    void garbageFallsBackToTheLastTrustedHop() {
        List<String> proxies = List.of("10.0.0.5", "10.0.0.6");
        assertThat(ClientAddress.resolve("10.0.0.5", List.of("unknown"), proxies)).isEqualTo("10.0.0.5");
        assertThat(ClientAddress.resolve("10.0.0.5", List.of("203.0.113.7, not-an-ip, 10.0.0.6"), proxies)).isEqualTo("10.0.0.6");
        for (String garbage : List.of("evil.example.com", "localhost", "1.2.3", "1.2.3.4.5", "256.1.1.1", "010.0.0.1", "0x7f.0.0.1",
                "1.2.3.4:99999", "2001:db8::1::2", "2001:db8:::1", "12345::1", ":1::2", "[::1", "1:2:3:4:5:6:7:8:9",
                "\"203.0.113.7\"", "203.0.113.7 1.1.1.1", "２０３.0.113.7", "::1%", "g::1")) {
            assertThat(ClientAddress.resolve("10.0.0.5", List.of("203.0.113.7, " + garbage), proxies)).as(garbage).isEqualTo("10.0.0.5");
        }
    }

    @Test
    void severalForwardedForLinesAreOneList() {
        List<String> proxies = List.of("10.0.0.5", "10.0.0.6");
        assertThat(ClientAddress.resolve("10.0.0.5", List.of("1.1.1.1, 203.0.113.7", "10.0.0.6"), proxies)).isEqualTo("203.0.113.7");
        assertThat(ClientAddress.resolve("10.0.0.5", List.of("10.0.0.6", "203.0.113.7"), proxies)).isEqualTo("203.0.113.7");
        assertThat(ClientAddress.resolve("10.0.0.5", List.of("203.0.113.7", "198.51.100.1"), proxies)).isEqualTo("198.51.100.1");
    }

    @Test
    void aRemoteAddressThatIsNoIpIsAnsweredUnchanged() {
        assertThat(ClientAddress.resolve("/run/ek.sock", List.of("1.2.3.4"), List.of("0.0.0.0/0"))).isEqualTo("/run/ek.sock");
    }

    @Test
    void invalidProxyEntriesAreRejectedByName() {
        for (String bad : List.of("proxy.internal", "10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8",
                "10.0.0.1:80", "[fd00::1]", "fd00::1%eth0", "/8", "")) {
            assertThatThrownBy(() -> TrustedProxies.parse(List.of("10.0.0.1", bad)))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> ClientAddress.resolve("10.0.0.5", List.of(), List.of("nope/8"))).hasMessageContaining("'nope/8'");
        assertThat(TrustedProxies.parse(List.of(" 10.0.0.0/8 ", "::1")).toString()).isEqualTo("10.0.0.0/8,::1");
        assertThat(TrustedProxies.parse(List.of()).isEmpty()).isTrue();
        assertThat(TrustedProxies.parse(List.of("::1")).isEmpty()).isFalse();
        assertThat(TrustedProxies.parse(List.of("::1")).contains("0:0:0:0:0:0:0:1")).isTrue();
        assertThat(TrustedProxies.parse(List.of("::1")).contains("::2")).isFalse();
    }
}
