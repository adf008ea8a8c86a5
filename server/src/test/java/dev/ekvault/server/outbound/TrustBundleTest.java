package dev.ekvault.server.outbound;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.ekvault.server.testing.TestCa;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A private CA's PEM bundle as the only trust anchors of a {@link BoundedFetch}, against a real HTTPS server whose
 * certificate a CA made for the test signs: that CA is trusted, another CA and the system trust store are not (and the
 * failure says it was TLS), and what is not a bundle of certificates is refused by name, never as an empty trust store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrustBundleTest {
    private TestCa ca;
    private HttpsServer server;
    private URI uri;

    @BeforeAll
    void start() throws Exception {
        ca = TestCa.get();
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ca.serverContext));
        server.createContext("/ok", ex -> {
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
        uri = URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/ok");
    }

    @AfterAll
    void stop() {
        server.stop(0);
    }

    private static BoundedFetch trusting(String pem) throws TrustBundle.Invalid {
        return new BoundedFetch(Duration.ofSeconds(10), Duration.ofSeconds(20), TrustBundle.context(TrustBundle.parse(pem)));
    }

    @Test
    void onlyTheBundleIsTrusted() throws Exception {
        assertThat(trusting(ca.caPem).send("GET", uri, Map.of(), null, 1024).status()).isEqualTo(204);
        assertThat(trusting(ca.otherCaPem + "\n" + ca.caPem).send("GET", uri, Map.of(), null, 1024).status())
                .as("a bundle of several CAs").isEqualTo(204);
        BoundedFetch other = trusting(ca.otherCaPem);
        assertThatThrownBy(() -> other.send("GET", uri, Map.of(), null, 1024))
                .isInstanceOfSatisfying(BoundedFetch.Failed.class, f -> assertThat(f.tls()).isTrue());
        BoundedFetch system = new BoundedFetch(Duration.ofSeconds(10), Duration.ofSeconds(20));
        assertThatThrownBy(() -> system.send("GET", uri, Map.of(), null, 1024))
                .as("the system trust store does not know the test CA")
                .isInstanceOfSatisfying(BoundedFetch.Failed.class, f -> assertThat(f.tls()).isTrue());
    }

    @Test
    void whatIsNotABundleOfCertificatesIsRefused() throws Exception {
        String cert = ca.caPem.strip();
        assertThat(TrustBundle.parse(cert)).hasSize(1);
        assertThat(TrustBundle.parse("\n  " + cert + "\n\n" + ca.otherCaPem)).hasSize(2);
        for (String bad : new String[] {"", "   ", "hello", "junk\n" + cert, cert + "\ntrailing",
                "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----",
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
                "-----BEGIN CERTIFICATE-----\n" + cert.substring(28, 60)}) {
            assertThatThrownBy(() -> TrustBundle.parse(bad)).as("%s", bad).isInstanceOf(TrustBundle.Invalid.class);
        }
        String many = (cert + "\n").repeat(TrustBundle.MAX_CERTIFICATES + 1);
        assertThatThrownBy(() -> TrustBundle.parse(many)).hasMessageContaining(String.valueOf(TrustBundle.MAX_CERTIFICATES));
        assertThat(TrustBundle.parse((cert + "\n").repeat(TrustBundle.MAX_CERTIFICATES))).hasSize(TrustBundle.MAX_CERTIFICATES);
    }
}
