package dev.ekvault.server.sso;

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
 * The only way this package talks to the provider: a connect timeout and an overall deadline that also bounds a body
 * that trickles in, no redirects followed, and a body read only up to a cap (the exchange is cancelled as soon as it
 * grows past it). Failures to get an answer are {@link SsoFailure.Kind#UNAVAILABLE}; what the answer says is the
 * caller's to judge.
 */
final class BoundedHttp {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration DEADLINE = Duration.ofSeconds(10);

    /** What came back: status, media type (lower case, no parameters) and the body. */
    record Answer(int status, String mediaType, byte[] body) {
        boolean isJson() {
            return mediaType.equals("application/json") || mediaType.equals("application/jwk-set+json");
        }
    }

    private final HttpClient http;
    private final boolean allowHttp;

    BoundedHttp(boolean allowHttp) {
        this.allowHttp = allowHttp;
        this.http = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /**
     * A URL the provider gave us (or the issuer): absolute, with a host, https (plain http only when the operator
     * allowed it for a test provider), no user info. Anything else is an unusable provider document.
     */
    URI endpoint(String url, String what) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException | NullPointerException e) {
            throw SsoFailure.unavailable(what + " is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null
                || !(scheme.equals("https") || (allowHttp && scheme.equals("http")))) {
            throw SsoFailure.unavailable(what + " is not an https URL with a host");
        }
        return uri;
    }

    Answer get(URI uri, int cap) {
        return send(HttpRequest.newBuilder(uri).timeout(DEADLINE).header("Accept", "application/json, application/jwk-set+json").GET().build(), cap);
    }

    /** A form POST ({@code application/x-www-form-urlencoded}); {@code authorization} may be null. */
    Answer postForm(URI uri, String form, String authorization, int cap) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(DEADLINE)
                .header("Accept", "application/json")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (authorization != null) request.header("Authorization", authorization);
        return send(request.build(), cap);
    }

    private Answer send(HttpRequest request, int cap) {
        String where = request.uri().getScheme() + "://" + request.uri().getHost() + (request.uri().getPort() < 0 ? "" : ":" + request.uri().getPort())
                + request.uri().getRawPath(); // never the query: it could carry something the log must not hold
        CompletableFuture<HttpResponse<byte[]>> pending = http.sendAsync(request, info -> new CappedBody(cap));
        HttpResponse<byte[]> response;
        try {
            response = pending.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            pending.cancel(true);
            throw SsoFailure.unavailable(where + " did not answer within " + DEADLINE.toSeconds() + " s");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw SsoFailure.unavailable(where + " failed: " + (cause instanceof TooLarge ? cause.getMessage() : cause.getClass().getSimpleName()));
        } catch (InterruptedException e) {
            pending.cancel(true);
            Thread.currentThread().interrupt();
            throw SsoFailure.unavailable("interrupted while calling " + where);
        }
        String type = response.headers().firstValue("Content-Type").orElse("");
        int semicolon = type.indexOf(';');
        String mediaType = (semicolon < 0 ? type : type.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
        return new Answer(response.statusCode(), mediaType, response.body());
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
