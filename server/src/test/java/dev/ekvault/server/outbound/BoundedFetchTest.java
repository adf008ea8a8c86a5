package dev.ekvault.server.outbound;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The bounds every outbound fetch has, against a real local HTTP server: a body past the cap is refused, a body that
 * trickles in is cut off at the deadline, a redirect is answered as it is (not followed), and no failure names the
 * URL's query.
 */
class BoundedFetchTest {
    private static final String SECRET_QUERY = "?access_token=do-not-log-me";
    /** For the body that never completes; every other test has a deadline a loaded machine cannot hit. */
    private static final Duration DEADLINE = Duration.ofMillis(500);

    private HttpServer server;
    private ExecutorService handlers;
    private final AtomicInteger redirectTargetHits = new AtomicInteger();
    private final java.util.concurrent.CountDownLatch testOver = new java.util.concurrent.CountDownLatch(1);
    private final BoundedFetch fetch = new BoundedFetch(Duration.ofSeconds(10), Duration.ofSeconds(20));

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        handlers = Executors.newVirtualThreadPerTaskExecutor(); // the trickling handler must not hold up the others
        server.setExecutor(handlers);
        server.createContext("/small", ex -> answer(ex, 200, "Application/JSON; charset=utf-8", "{\"ok\":true}"));
        server.createContext("/huge", ex -> answer(ex, 200, "application/json", "x".repeat(10_000)));
        server.createContext("/redirect", ex -> {
            ex.getResponseHeaders().add("Location", "/target");
            answer(ex, 302, "text/plain", "");
        });
        server.createContext("/target", ex -> {
            redirectTargetHits.incrementAndGet();
            answer(ex, 200, "application/json", "{}");
        });
        server.createContext("/trickle", this::trickle);
        server.start();
    }

    @AfterEach
    void stop() {
        testOver.countDown();
        server.stop(0);
        handlers.shutdownNow();
    }

    private URI url(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + pathAndQuery);
    }

    private static void answer(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Headers and one byte at once, then nothing until the test is over: the body never arrives in time. */
    private void trickle(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(' ');
            out.flush();
            testOver.await(30, java.util.concurrent.TimeUnit.SECONDS); // released in stop(); bounded should it never be
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void anAnswerWithinTheBoundsComesBackWithItsMediaType() throws Exception {
        BoundedFetch.Answer answer = fetch.get(url("/small"), 1024);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.mediaType()).isEqualTo("application/json");
        assertThat(answer.isJson()).isTrue();
        assertThat(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":true}");
    }

    @Test
    void aBodyOverTheCapIsRefusedWithoutTheQuery() {
        assertThatThrownBy(() -> fetch.get(url("/huge" + SECRET_QUERY), 1024))
                .isInstanceOf(BoundedFetch.Failed.class)
                .hasMessageContaining("/huge")
                .hasMessageContaining("larger than 1024 bytes")
                .hasMessageNotContaining("?")
                .hasMessageNotContaining("do-not-log-me");
    }

    @Test
    void aBodyThatTricklesInIsCutOffAtTheDeadline() {
        BoundedFetch impatient = new BoundedFetch(Duration.ofSeconds(10), DEADLINE);
        assertThatThrownBy(() -> impatient.get(url("/trickle" + SECRET_QUERY), 1024))
                .isInstanceOf(BoundedFetch.Failed.class)
                .hasMessageContaining("/trickle")
                .hasMessageContaining("did not answer within " + DEADLINE.toMillis() + " ms")
                .hasMessageNotContaining("do-not-log-me");
    }

    @Test
    void aRedirectIsAnsweredAsItIsAndNotFollowed() throws Exception {
        BoundedFetch.Answer answer = fetch.postForm(url("/redirect"), "a=b", null, 1024);
        assertThat(answer.status()).isEqualTo(302);
        assertThat(fetch.get(url("/redirect"), 1024).status()).isEqualTo(302);
        assertThat(redirectTargetHits).hasValue(0);
    }

    @Test
    void aServerThatIsGoneFailsWithoutTheQuery() throws IOException {
        int port;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = closed.getLocalPort(); // closed at once: an HttpServer never started keeps its socket listening
        }
        URI gone = URI.create("http://127.0.0.1:" + port + "/small" + SECRET_QUERY);
        assertThatThrownBy(() -> fetch.get(gone, 1024))
                .isInstanceOf(BoundedFetch.Failed.class)
                .hasMessageContaining("/small failed")
                .hasMessageNotContaining("do-not-log-me");
    }

    @Test
    void onlyHttpsUrlsWithAHostAreAccepted() throws Exception {
        assertThat(BoundedFetch.url("https://idp.example/keys?x=1", "jwks_uri", false)).hasHost("idp.example");
        assertThat(BoundedFetch.url("http://idp.example/keys", "jwks_uri", true)).hasScheme("http");
        for (String bad : new String[] {"http://idp.example/keys", "https:///keys", "https://user@idp.example/keys",
                "https://idp.example/keys#frag", "file:///etc/passwd", "not a url", null}) {
            assertThatThrownBy(() -> BoundedFetch.url(bad, "jwks_uri", false)).as(bad)
                    .isInstanceOf(BoundedFetch.Failed.class).hasMessageStartingWith("jwks_uri is not");
        }
    }
}
