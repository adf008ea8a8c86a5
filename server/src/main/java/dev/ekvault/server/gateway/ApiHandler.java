package dev.ekvault.server.gateway;

import dev.ekvault.server.wire.JsonBytes;
import dev.ekvault.server.wire.JsonInput;
import dev.ekvault.server.http.RawBody;
import dev.ekvault.server.wire.StreamedBody;
import org.eclipse.jetty.io.Content;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.RequestContext;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.wire.SessionCookie;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.Refusal;
import dev.ekvault.server.metrics.Metrics;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.api.ErrorBody;
import dev.ekvault.api.ErrorCode;
import dev.ekvault.server.auth.Authentication;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.crypto.IntegrityException;
import dev.ekvault.server.ratelimit.ClientAddress;
import dev.ekvault.server.ratelimit.IpRateLimiter;
import dev.ekvault.server.ratelimit.RateLimit;
import dev.ekvault.server.ratelimit.TrustedProxies;
import dev.ekvault.server.audit.Actor;
import dev.ekvault.server.audit.AuditLog;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.StoreException;
import dev.ekvault.server.store.DatabaseUnavailable;
import dev.ekvault.server.store.ConflictingWrite;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RuntimeIOException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every request's path through the server: request id → route match → authentication → body limits and JSON
 * parsing → handler → JSON response, with every failure turned into a {@code {"message"}} body and one log line.
 */
public final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = Logger.getLogger(ApiHandler.class.getName());
    private static final int MAX_AUTHORIZATION_LENGTH = 8 * 1024;
    /** Every 401 says the same thing, so its body is written once (a flood of bad credentials gets nothing but 401s). */
    private static final String UNAUTHORIZED_MESSAGE = ApiException.unauthorized().getMessage();
    private static final byte[] UNAUTHORIZED_BODY = errorBody(UNAUTHORIZED_MESSAGE);
    /**
     * Every {@code /v1} answer and every error holds credentials, secrets or who-may-see-what: no cache may keep it.
     * Pre-encoded once, as the read path adds it to every answer. (No {@code Pragma}: RFC 9111 retired it, and no
     * cache we could meet heeds it without {@code Cache-Control}.)
     */
    static final HttpField NO_STORE = new PreEncodedHttpField(HttpHeader.CACHE_CONTROL, "no-store");

    private static byte[] errorBody(String message) {
        try {
            return new ObjectMapper().writeValueAsBytes(new ErrorBody(message));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private final Router router;
    private final Authentication authentication;
    private final ObjectMapper json;
    private final Config.Limits limits;
    private final RequestLog requestLog;
    private final IpRateLimiter ipLimiter;
    private final TrustedProxies trustedProxies;
    private final AuditLog audit;
    private final Metrics metrics;
    private final int minRequestDataRate;

    public ApiHandler(Router router, Authentication authentication, ObjectMapper json, Config.Limits limits, int minRequestDataRate,
                      RequestLog requestLog, IpRateLimiter ipLimiter, TrustedProxies trustedProxies, AuditLog audit, Metrics metrics) {
        this.minRequestDataRate = minRequestDataRate;
        this.audit = audit;
        this.metrics = metrics;
        this.router = router;
        this.authentication = authentication;
        this.json = json;
        this.limits = limits;
        this.requestLog = requestLog;
        this.ipLimiter = ipLimiter;
        this.trustedProxies = trustedProxies;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long started = System.nanoTime();
        String requestId = JsonErrorHandler.newRequestId();
        response.getHeaders().put("X-Request-Id", requestId);
        Caller caller = null;
        Router.Route route = null;
        Refusal refusal = null;
        String client = null;
        int status;
        try {
            List<String> path = decodePath(request.getHttpURI().getPath());
            client = ClientAddress.resolve(Request.getRemoteAddr(request), request.getHeaders().getValuesList("X-Forwarded-For"), trustedProxies);
            if (!path.isEmpty() && path.get(0).equals("v1")) {
                response.getHeaders().add(NO_STORE);
                limitClientAddress(client, response);
            }
            Router.Match match = router.match(request.getMethod(), path);
            if (match == null) {
                Set<String> allowed = router.allowedMethods(path);
                if (!allowed.isEmpty()) {
                    response.getHeaders().put(HttpHeader.ALLOW, String.join(", ", allowed));
                    throw new ApiException(ErrorCode.METHOD_NOT_ALLOWED, "method " + request.getMethod() + " is not allowed here");
                }
                throw ApiException.notFound("route");
            }
            route = match.route();
            Actor.set(new Actor(null, null, null, client, requestId)); // a public route's writes (a sign-in) name where they came from
            if (!route.isPublic()) {
                caller = authenticate(request);
                Actor.set(new Actor(caller.userId(), caller.credentialId(), caller.kind().wire, client, requestId));
            }
            JsonInput body = readBody(request);
            RequestContext exchange = new RequestContext(match.parameters(), parseQuery(request.getHttpURI().getQuery()), body, caller, requestId,
                    request.getHeaders(), response.getHeaders());
            Object result = route.handler().handle(exchange);
            status = write(response, callback, result);
        } catch (ClientGone e) {
            status = clientGone(requestId, route, callback, e);
        } catch (ApiException e) {
            if (e.retryAfterSeconds > 0) response.getHeaders().put(RateLimit.RETRY_AFTER_HEADER, Long.toString(e.retryAfterSeconds));
            if (e.code.status == 403 && caller != null) recordRefusal(caller, request.getMethod(), route, e.getMessage());
            refusal = refusal(e);
            discardUnreadBody(request);
            if (hasNoBody(request) || response.isCommitted()) {
                status = writeError(response, callback, e.code, e.getMessage(), e.fields);
            } else {
                status = writeErrorSeeingTheClient(response, callback, e, requestId, route);
            }
        } catch (ConflictingWrite e) {
            // two requests raced to create the same name; the loser learns it as a conflict
            status = writeError(response, callback, ErrorCode.CONFLICT, "a conflicting change was made at the same time; retry");
        } catch (DatabaseUnavailable e) {
            status = writeUnavailable(response, callback, e);
        } catch (StoreException e) {
            LOG.log(Level.SEVERE, "request " + requestId + " failed in the store", e);
            status = writeError(response, callback, ErrorCode.INTERNAL, "internal error (request id " + requestId + ")");
        } catch (IntegrityException e) {
            LOG.log(Level.SEVERE, "request " + requestId + ": stored data failed its integrity check: " + e.getMessage());
            status = writeError(response, callback, ErrorCode.INTERNAL,
                    "a stored value failed its integrity check (request id " + requestId + ")");
        } catch (Throwable e) {
            DatabaseUnavailable cause = DatabaseUnavailable.in(e);
            if (ClientGone.whileWriting(e, request)) {
                status = clientGone(requestId, route, callback, e);
            } else if (cause != null) {
                status = writeUnavailable(response, callback, cause);
            } else {
                LOG.log(Level.SEVERE, "request " + requestId + " failed", e);
                status = writeError(response, callback, ErrorCode.INTERNAL, "internal error (request id " + requestId + ")");
            }
        }
        Actor.clear();
        long nanos = System.nanoTime() - started;
        String template = route == null ? null : route.template();
        metrics.request(template, request.getMethod(), status, caller, refusal, nanos);
        requestLog.log(requestId, request.getMethod(), template, status, nanos / 1_000_000.0, caller,
                refusal == null ? null : client(client, request), refusal);
        return true;
    }

    /** Nobody is left to answer: not a server fault, so one INFO line, no stack trace, and no 500 in the log or metrics. */
    private static int clientGone(String requestId, Router.Route route, Callback callback, Throwable failure) {
        callback.failed(failure);
        return clientGone(requestId, route);
    }

    private static int clientGone(String requestId, Router.Route route) {
        LOG.info("request " + requestId + " on " + (route == null ? "(no route)" : route.template()) + ": client disconnected");
        return ClientGone.STATUS;
    }

    /**
     * The database could not do the request's work now (unreachable, timed out, disk full, read-only): 503 (507 for a
     * full disk) with {@code Retry-After} and the reason's fixed message, never the driver's text. Logged once per
     * {@value #UNAVAILABLE_LOG_EVERY_MILLIS} ms, not per request: every request fails alike during an outage, and each
     * one's status is in its request log line.
     */
    private int writeUnavailable(Response response, Callback callback, DatabaseUnavailable e) {
        long now = System.currentTimeMillis();
        long last = lastUnavailableLogged.get();
        if (now - last >= UNAVAILABLE_LOG_EVERY_MILLIS && lastUnavailableLogged.compareAndSet(last, now)) {
            LOG.warning("database unavailable (" + e.reason.name().toLowerCase(java.util.Locale.ROOT) + ", "
                    + e.getCause().getClass().getSimpleName() + "); requests that need it are answered "
                    + (e.reason == DatabaseUnavailable.Reason.DISK_FULL ? 507 : 503));
        }
        response.getHeaders().put(RateLimit.RETRY_AFTER_HEADER, Long.toString(DatabaseUnavailable.RETRY_AFTER_SECONDS));
        ErrorCode code = e.reason == DatabaseUnavailable.Reason.DISK_FULL ? ErrorCode.INSUFFICIENT_STORAGE : ErrorCode.UNAVAILABLE;
        return writeError(response, callback, code, e.reason.message);
    }

    private static final long UNAVAILABLE_LOG_EVERY_MILLIS = 10_000;
    private final java.util.concurrent.atomic.AtomicLong lastUnavailableLogged = new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE / 2);

    /** Why a request was refused (401, 403, 429), as the log and the metrics tell it; null for every other answer. */
    private static Refusal refusal(ApiException e) {
        return switch (e.code.status) {
            case 401 -> e.refusal == null ? Refusal.UNSPECIFIED : e.refusal;
            case 403 -> e.refusal == null ? Refusal.FORBIDDEN : e.refusal;
            case 429 -> Refusal.RATE_LIMITED;
            default -> null;
        };
    }

    /** The client address after trusted proxies; a request refused before it was resolved (a bad path) has the peer's. */
    private String client(String resolved, Request request) {
        return resolved != null ? resolved : Request.getRemoteAddr(request);
    }

    /**
     * A valid credential refused (403) is a security event: an entry in the audit log naming the route (its template,
     * never the path's values) and the reason. If the entry cannot be written the refusal still stands.
     */
    private void recordRefusal(Caller caller, String method, Router.Route route, String reason) {
        try {
            audit.event(Journal.Change.of("refused", "request", caller.workspaceId(), null)
                    .after(Journal.fields("method", method, "route", route == null ? null : route.template(), "reason", reason)));
        } catch (RuntimeException e) {
            LOG.warning("request refused, but its audit entry was not written (" + e.getClass().getSimpleName() + ")");
        }
    }

    /**
     * A refusal before the body was read (401, 404, 429…): read and drop what the client is still sending, up to a
     * bound, so it receives the answer instead of a reset connection.
     */
    private void discardUnreadBody(Request request) {
        if (hasNoBody(request)) return;
        try {
            readWithIdleTimeout(request, in -> {
                drain(in, 4L * limits.maxBodyBytes());
                return null;
            });
        } catch (ApiException | ClientGone e) {
            // the body was cut short or malformed, or the client left; the connection is going away anyway
        }
    }

    /** The per-address limit across {@code /v1}, checked before authentication so floods of bad credentials stop here. */
    private void limitClientAddress(String client, Response response) {
        if (!ipLimiter.enabled()) return;
        RateLimit.Decision decision = ipLimiter.check(client);
        decision.writeHeaders(response.getHeaders());
        if (!decision.allowed()) {
            throw new ApiException(ErrorCode.TOO_MANY_REQUESTS, "too many requests from this address; retry after "
                    + decision.retryAfterSeconds() + " seconds");
        }
    }

    /** The Bearer credential if there is one, else the dashboard's session cookie. */
    private Caller authenticate(Request request) {
        String authorization = authorization(request);
        if (authorization != null || !request.getHeaders().contains(HttpHeader.COOKIE)) return authentication.authenticate(authorization);
        String session = null;
        for (org.eclipse.jetty.http.HttpCookie cookie : Request.getCookies(request)) {
            if (cookie.getName().equals(SessionCookie.NAME)) session = cookie.getValue();
        }
        boolean changesState = !request.getMethod().equals("GET") && !request.getMethod().equals("HEAD");
        return authentication.sessionCookie(session, changesState, request.getHeaders().get(SessionCookie.CSRF_HEADER));
    }


    private static String authorization(Request request) {
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (header == null || header.length() > MAX_AUTHORIZATION_LENGTH) return null;
        return header;
    }

    private JsonInput readBody(Request request) throws IOException {
        long declared = request.getLength();
        if (hasNoBody(request)) return JsonInput.empty();
        byte[] bytes = readWithIdleTimeout(request, in -> {
            if (declared > limits.maxBodyBytes()) throw tooLarge(in, declared);
            byte[] read = in.readNBytes(limits.maxBodyBytes() + 1);
            if (read.length > limits.maxBodyBytes()) throw tooLarge(in, 4L * limits.maxBodyBytes());
            return read;
        });
        if (isBlank(bytes)) return JsonInput.empty();
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (contentType == null || !contentType.toLowerCase().startsWith("application/json")) {
            throw new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "request body must be application/json");
        }
        int invalid = Unicode.firstInvalidUtf8(bytes, bytes.length);
        if (invalid >= 0) throw ApiException.badRequest("request body is not valid UTF-8 (byte " + invalid + ")");
        JsonNode node;
        try {
            node = json.readTree(bytes);
        } catch (StreamConstraintsException e) {
            throw ApiException.badRequest("request body exceeds a JSON limit (nesting deeper than "
                    + limits.maxJsonDepth() + " levels, or a string or number too long)");
        } catch (JsonProcessingException e) {
            // Jackson's message may quote the input, which may be a secret: say only where it broke.
            throw ApiException.badRequest("request body is not valid JSON (line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ")");
        }
        if (node == null || node.isMissingNode()) return JsonInput.empty();
        if (!node.isObject()) throw ApiException.badRequest("request body must be a JSON object");
        Unicode.requireWellFormed(node);
        return new JsonInput(node, "");
    }

    private interface BodyWork<T> {
        T read(InputStream in) throws IOException;
    }

    /**
     * Reads the body with a short idle timeout: a body that stops arriving (shorter than its Content-Length, a client
     * gone quiet) would otherwise hold the request until the connector's 30-second idle timeout and end in a 500. A
     * body cut short, silent for too long or with broken chunk framing is the client's error: 400, no stack trace.
     * The connection's own timeout is put back for the answer and whatever follows on the connection. A body that
     * keeps arriving, but slower than {@code http.min-request-data-rate} on average, is a 400 too ({@link MinimumRate}).
     */
    private <T> T readWithIdleTimeout(Request request, BodyWork<T> work) {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        long idleTimeout = endPoint.getIdleTimeout();
        endPoint.setIdleTimeout(limits.bodyIdleTimeoutMillis());
        try (InputStream in = new MinimumRate(Content.Source.asInputStream(request), minRequestDataRate)) {
            return work.read(in);
        } catch (MinimumRate.TooSlow e) {
            throw ApiException.badRequest("request body arrived slower than " + minRequestDataRate
                    + " bytes a second (http.min-request-data-rate)");
        } catch (IOException | HttpException.RuntimeException | HttpException.IllegalArgumentException | RuntimeIOException e) {
            if (ClientGone.whileReading(e, request)) throw new ClientGone(e);
            throw incompleteBody(e);
        } finally {
            endPoint.setIdleTimeout(idleTimeout);
        }
    }

    private ApiException incompleteBody(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.util.concurrent.TimeoutException) {
                return ApiException.badRequest("request body stopped arriving before its end (nothing for "
                        + limits.bodyIdleTimeoutMillis() + " ms)");
            }
        }
        // Jetty reports an early end and broken chunk framing alike (a BadMessageException); its text is not repeated
        return ApiException.badRequest("request body is incomplete or malformed (it ended before its declared length, "
                + "or its chunk framing is broken)");
    }

    /**
     * Reads and discards a too-large body (up to four times the limit) before the 413 goes out: a client still sending
     * when the server answers and closes would see a reset instead of the answer. Beyond that we just close.
     */
    private void drain(InputStream in, long declared) throws IOException {
        long budget = Math.min(declared, 4L * limits.maxBodyBytes());
        while (budget > 0) {
            long skipped = in.skip(budget);
            if (skipped <= 0) {
                if (in.read() < 0) return;
                skipped = 1;
            }
            budget -= skipped;
        }
    }

    /** HTTP/1.1: no Content-Length (or 0) and no Transfer-Encoding means no body (most GETs), so nothing to read. */
    private static boolean hasNoBody(Request request) {
        long declared = request.getLength();
        return declared == 0 || declared < 0 && !request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    /** Drains what it can of a too-large body (see {@link #drain}); the answer is 413 even if the client stalls or quits. */
    private ApiException tooLarge(InputStream in, long declared) {
        try {
            drain(in, declared);
        } catch (IOException | RuntimeException e) {
            // the 413 goes out all the same
        }
        return new ApiException(ErrorCode.PAYLOAD_TOO_LARGE, "request body is larger than " + limits.maxBodyBytes() + " bytes");
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) if (b != ' ' && b != '\n' && b != '\r' && b != '\t') return false;
        return true;
    }

    private int write(Response response, Callback callback, Object result) throws IOException {
        int status = 200;
        Object body = result;
        if (result instanceof Reply reply) {
            status = reply.status();
            body = reply.body();
        }
        response.setStatus(status);
        if (body instanceof RawBody raw) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, raw.contentType());
            response.getHeaders().put("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "
                    + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
            response.getHeaders().put("X-Content-Type-Options", "nosniff");
            response.getHeaders().put("Referrer-Policy", "no-referrer");
            response.write(true, ByteBuffer.wrap(raw.bytes()), callback);
        } else if (body instanceof StreamedBody streamed) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, streamed.contentType());
            try (OutputStream out = new BufferedOutputStream(Content.Sink.asOutputStream(response), 64 * 1024)) {
                streamed.writer().writeTo(out);
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            callback.succeeded();
        } else if (body == null) {
            response.write(true, null, callback);
        } else if (body instanceof JsonBytes serialised) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(serialised.bytes()), callback);
        } else {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(json.writeValueAsBytes(body)), callback);
        }
        return status;
    }

    /**
     * An error answer to a request that sent a body: a body that ended early may be a client that half-closed and waits
     * for this answer, or one that reset the connection and is gone; Jetty reads both as an early end. Writing the
     * answer tells them apart (a reset connection refuses it at once), so this waits for the write, briefly, and a
     * refused write is the client gone ({@link ClientGone}), not a 400 nobody received.
     */
    private int writeErrorSeeingTheClient(Response response, Callback callback, ApiException e, String requestId, Router.Route route) {
        Callback.Completable written = new Callback.Completable();
        written.whenComplete((ignored, failure) -> {
            if (failure == null) callback.succeeded();
            else callback.failed(failure);
        });
        int status = writeError(response, written, e.code, e.getMessage(), e.fields);
        try {
            written.get(limits.bodyIdleTimeoutMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException failed) {
            return clientGone(requestId, route);
        } catch (java.util.concurrent.TimeoutException | InterruptedException slow) {
            // still being written to a slow reader: the answer stands
        }
        return status;
    }

    private int writeError(Response response, Callback callback, ErrorCode code, String message) {
        return writeError(response, callback, code, message, Map.of());
    }

    /** {@code {"message"}}, then any fields the error carries (message first, so a reader of ErrorBody sees no change). */
    private int writeError(Response response, Callback callback, ErrorCode code, String message, Map<String, Object> fields) {
        if (response.isCommitted()) {
            callback.failed(new IllegalStateException("response already committed"));
            return code.status;
        }
        try {
            response.setStatus(code.status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(NO_STORE);
            byte[] body;
            if (code == ErrorCode.UNAUTHORIZED && UNAUTHORIZED_MESSAGE.equals(message)) {
                body = UNAUTHORIZED_BODY;
            } else if (fields.isEmpty()) {
                body = json.writeValueAsBytes(new ErrorBody(message));
            } else {
                Map<String, Object> withFields = new java.util.LinkedHashMap<>();
                withFields.put("message", message);
                withFields.putAll(fields);
                body = json.writeValueAsBytes(withFields);
            }
            response.write(true, ByteBuffer.wrap(body), callback);
        } catch (IOException e) {
            callback.failed(e);
        }
        return code.status;
    }

    /** Splits the raw path and decodes each segment alone (Jetty has already refused encoded slashes and bad escapes). */
    public static List<String> decodePath(String rawPath) {
        List<String> segments = new ArrayList<>();
        if (rawPath == null) return segments;
        for (String segment : rawPath.split("/")) {
            if (segment.isEmpty()) continue;
            segments.add(decode(segment, "path"));
        }
        return segments;
    }

    static Map<String, List<String>> parseQuery(String rawQuery) {
        Map<String, List<String>> query = new HashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) return query;
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), "query");
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1), "query");
            query.computeIfAbsent(name, k -> new ArrayList<>(1)).add(value);
        }
        return query;
    }

    /**
     * URL-decodes with {@code +} as a space, as the clients encode keys. Escapes that do not spell UTF-8 ({@code %FF},
     * an overlong or surrogate form) are refused: {@link URLDecoder} would quietly make them U+FFFD.
     */
    private static String decode(String text, String where) {
        if (text.indexOf('%') < 0) return text.indexOf('+') < 0 ? text : text.replace('+', ' ');
        byte[] bytes = new byte[text.length() * 3];
        int length = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%') {
                int high = i + 2 < text.length() ? hexDigit(text.charAt(i + 1)) : -1;
                int low = high < 0 ? -1 : hexDigit(text.charAt(i + 2));
                if (low < 0) throw ApiException.badRequest("malformed percent-encoding in the " + where);
                bytes[length++] = (byte) (high << 4 | low);
                i += 2;
            } else if (c < 0x80) {
                bytes[length++] = (byte) (c == '+' ? ' ' : c);
            } else {
                String character = text.substring(i, i + Character.charCount(text.codePointAt(i)));
                if (!Unicode.isWellFormed(character)) throw ApiException.badRequest("the " + where + " is not valid Unicode");
                byte[] encoded = character.getBytes(StandardCharsets.UTF_8);
                System.arraycopy(encoded, 0, bytes, length, encoded.length);
                length += encoded.length;
                i += character.length() - 1;
            }
        }
        if (Unicode.firstInvalidUtf8(bytes, length) >= 0) {
            throw ApiException.badRequest("percent-encoding in the " + where + " is not valid UTF-8");
        }
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    /** An ASCII hex digit's value, else -1 ({@link Character#digit} would also take other scripts' digits). */
    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
}
