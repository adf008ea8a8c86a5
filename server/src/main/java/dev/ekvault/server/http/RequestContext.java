package dev.ekvault.server.http;

import dev.ekvault.server.wire.JsonInput;
import dev.ekvault.server.access.Caller;
import org.eclipse.jetty.http.HttpFields;

import java.util.List;
import java.util.Map;

/** One request as a route handler sees it: decoded path parameters, query, JSON body and the caller. */
public final class RequestContext {
    private final Map<String, String> parameters;
    private final Map<String, List<String>> query;
    private final JsonInput body;
    private final Caller caller;
    private final String requestId;
    private final HttpFields.Mutable responseHeaders;
    private final HttpFields requestHeaders;

    public RequestContext(Map<String, String> parameters, Map<String, List<String>> query, JsonInput body, Caller caller, String requestId,
             HttpFields requestHeaders, HttpFields.Mutable responseHeaders) {
        this.requestHeaders = requestHeaders;
        this.responseHeaders = responseHeaders;
        this.parameters = parameters;
        this.query = query;
        this.body = body;
        this.caller = caller;
        this.requestId = requestId;
    }

    public String path(String name) {
        String value = parameters.get(name);
        if (value == null) throw new IllegalStateException("route has no parameter " + name);
        return value;
    }

    /** The first value of a query parameter, or null. */
    public String query(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The request body as a JSON object; an empty body reads as {@code {}}. */
    public JsonInput body() {
        return body;
    }

    /** The authenticated caller; null only on public routes. */
    public Caller caller() {
        return caller;
    }

    public String requestId() {
        return requestId;
    }

    /** A cookie of the request, or null. */
    public String cookie(String name) {
        String header = requestHeaders.get("Cookie");
        if (header == null) return null;
        for (String pair : header.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).strip().equals(name)) return pair.substring(eq + 1).strip();
        }
        return null;
    }

    /** A request header, for the few public routes that read one (the exchange reads Authorization itself). */
    public String header(String name) {
        return requestHeaders.get(name);
    }

    /**
     * The server's base URL for links it hands out: the configured public URL, else this request's own host.
     * (Configure http.public-url behind a proxy: a Host header is the client's to choose.)
     */
    public String baseUrl(String configuredPublicUrl) {
        if (!configuredPublicUrl.isEmpty()) return configuredPublicUrl;
        String host = header("Host");
        return "http://" + (host == null || host.isBlank() || host.length() > 255 || !host.matches("[A-Za-z0-9.:\\[\\]-]+") ? "localhost" : host);
    }

    /** Headers of the response to come (rate-limit headers, say); the body and status come from the handler's result. */
    public HttpFields.Mutable responseHeaders() {
        return responseHeaders;
    }
}
