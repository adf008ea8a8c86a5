package dev.ekvault.server.outbound;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How the server fetches JSON documents from servers it does not control (an SSO provider, a cluster's issuer): a
 * connect timeout, an overall deadline that also bounds a body that trickles in, no redirects followed (a redirect
 * could point anywhere, even inside our network), HTTP/1.1, and a body read only up to a cap (the exchange is
 * cancelled as soon as it grows past it). Getting no answer is a {@link Failed}; what an answer says is the
 * caller's to judge.
 */
public final class BoundedFetch {
    /** What came back: status, media type (lower case, no parameters) and the body. */
    public record Answer(int status, String mediaType, byte[] body, java.net.http.HttpHeaders headers) {
        /** A response header's first value, or null. */
        public String header(String name) {
            return headers == null ? null : headers.firstValue(name).orElse(null);
        }

        /** The two labels OpenID providers give their JSON documents. */
        public boolean isJson() {
            return mediaType.equals("application/json") || mediaType.equals("application/jwk-set+json");
        }
    }

    /** No usable answer. The message names the URL without its query, which could carry a secret. */
    public static final class Failed extends Exception {
        private final boolean tls;

        Failed(String reason) {
            this(reason, false);
        }

        Failed(String reason, boolean tls) {
            super(reason, null, false, false);
            this.tls = tls;
        }

        /** The TLS handshake failed: the peer's certificate was not trusted (or did not name the host). */
        public boolean tls() {
            return tls;
        }
    }

    private final HttpClient http;
    private final Duration deadline;

    public BoundedFetch(Duration connectTimeout, Duration deadline) {
        this(connectTimeout, deadline, null);
    }

    /**
     * The same guarantees, trusting only what {@code tls} trusts (a private CA's bundle, see {@link TrustBundle});
     * null: the system trust store. Host names are still verified.
     */
    public BoundedFetch(Duration connectTimeout, Duration deadline, javax.net.ssl.SSLContext tls) {
        this.deadline = deadline;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1);
        if (tls != null) builder.sslContext(tls);
        this.http = builder.build();
    }

    /**
     * A URL a document or the operator gave us: absolute, with a host, https (plain http only when the caller allows
     * it, for a test server), no user info or fragment; {@code what} names it in the failure.
     */
    public static URI url(String url, String what, boolean allowHttp) throws Failed {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException | NullPointerException e) {
            throw new Failed(what + " is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null
                || !(scheme.equals("https") || (allowHttp && scheme.equals("http")))) {
            throw new Failed(what + " is not an https URL with a host");
        }
        return uri;
    }

    /** A URL for a log line: never the query, which could carry something the log must not hold. */
    public static String forLog(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + uri.getRawPath();
    }

    public Answer get(URI uri, int cap) throws Failed {
        return send(HttpRequest.newBuilder(uri).header("Accept", "application/json, application/jwk-set+json").GET(), cap);
    }

    /** A form POST ({@code application/x-www-form-urlencoded}); {@code authorization} may be null. */
    public Answer postForm(URI uri, String form, String authorization, int cap) throws Failed {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .header("Accept", "application/json")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (authorization != null) request.header("Authorization", authorization);
        return send(request, cap);
    }

    /**
     * Any method with a body ({@code null}: none) and headers (a sync target's API: JSON writes, auth headers). The
     * caller judges the status; a header value must never be logged (it may carry a token).
     */
    public Answer send(String method, URI uri, java.util.Map<String, String> headers, byte[] body, int cap) throws Failed {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        return send(request, cap);
    }

    private Answer send(HttpRequest.Builder builder, int cap) throws Failed {
        HttpRequest request = builder.timeout(deadline).build();
        String where = forLog(request.uri());
        CompletableFuture<HttpResponse<byte[]>> pending = http.sendAsync(request, info -> new CappedBody(cap));
        HttpResponse<byte[]> response;
        try {
            // the request timeout stops waiting for headers; this one also bounds a body that trickles in
            response = pending.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            pending.cancel(true);
            throw new Failed(where + " did not answer within " + deadline.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            boolean tls = cause instanceof javax.net.ssl.SSLException
                    || (cause.getCause() instanceof javax.net.ssl.SSLException);
            throw new Failed(where + " failed: " + (cause instanceof TooLarge ? cause.getMessage() : cause.getClass().getSimpleName()), tls);
        } catch (InterruptedException e) {
            pending.cancel(true);
            Thread.currentThread().interrupt();
            throw new Failed("interrupted while calling " + where);
        }
        String type = response.headers().firstValue("Content-Type").orElse("");
        int semicolon = type.indexOf(';');
        String mediaType = (semicolon < 0 ? type : type.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
        return new Answer(response.statusCode(), mediaType, response.body(), response.headers());
    }

    private static final class TooLarge extends IOException {
        TooLarge(int cap) {
            super("the answer is larger than " + cap + " bytes");
        }
    }

    /** Collects a body, cancelling the exchange as soon as it grows past the cap. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int cap;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private Flow.Subscription subscription;

        CappedBody(int cap) {
            this.cap = cap;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (result.isDone()) return;
            for (ByteBuffer buffer : buffers) {
                if (bytes.size() + buffer.remaining() > cap) {
                    subscription.cancel();
                    result.completeExceptionally(new TooLarge(cap));
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable error) {
            result.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            result.complete(bytes.toByteArray());
        }
    }
}
