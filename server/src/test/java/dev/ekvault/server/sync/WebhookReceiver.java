package dev.ekvault.server.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A webhook receiver outside the server, as a Standard Webhooks consumer would be: it checks each delivery's
 * signature with the whsec_ secret (HMAC-SHA256 over id.timestamp.body), records what arrived, and answers what the
 * test queued (a 429 with Retry-After, an outage's 503), 204 otherwise.
 */
public final class WebhookReceiver implements AutoCloseable {
    public record Delivery(String id, long timestamp, JsonNode body, boolean signatureValid) {}

    record Answer(int status, Map<String, String> headers) {}

    private final HttpServer server;
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    private final Deque<Answer> queued = new ArrayDeque<>();
    private volatile String secret;

    public WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String id = exchange.getRequestHeaders().getFirst("webhook-id");
            String timestamp = exchange.getRequestHeaders().getFirst("webhook-timestamp");
            String signature = exchange.getRequestHeaders().getFirst("webhook-signature");
            boolean valid = secret != null && id != null && timestamp != null && signature != null
                    && signature.equals("v1," + sign(secret, id + "." + timestamp + ".", body))
                    && exchange.getRequestMethod().equals("POST")
                    && "application/json".equals(exchange.getRequestHeaders().getFirst("Content-Type"));
            deliveries.add(new Delivery(id, timestamp == null ? -1 : Long.parseLong(timestamp), new ObjectMapper().readTree(body), valid));
            Answer answer;
            synchronized (queued) {
                answer = queued.poll();
            }
            if (answer == null) answer = new Answer(204, Map.of());
            answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.sendResponseHeaders(answer.status(), -1);
            exchange.close();
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    public void secret(String whsec) {
        this.secret = whsec;
    }

    void answerNext(int status, Map<String, String> headers) {
        synchronized (queued) {
            queued.add(new Answer(status, headers));
        }
    }

    public List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    public Delivery last() {
        return deliveries.get(deliveries.size() - 1);
    }

    static String sign(String whsec, String prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(whsec.substring("whsec_".length())), "HmacSHA256"));
            mac.update(prefix.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
