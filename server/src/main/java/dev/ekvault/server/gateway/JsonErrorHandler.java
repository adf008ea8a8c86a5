package dev.ekvault.server.gateway;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Errors Jetty raises before {@link ApiHandler} runs (a path it refuses, headers too large) still answer
 * {@code {"message"}} JSON with a request id and {@code Cache-Control: no-store}, like every other error. The text is fixed per status: Jetty's own
 * message may quote the request.
 */
public final class JsonErrorHandler extends ErrorHandler {
    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put("X-Request-Id", newRequestId());
        response.getHeaders().put(ApiHandler.NO_STORE);
        response.write(true, ByteBuffer.wrap(body(code)), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json"));
        fields.put("X-Request-Id", newRequestId());
        fields.put(ApiHandler.NO_STORE);
        return ByteBuffer.wrap(body(status));
    }

    static String newRequestId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }

    private static byte[] body(int status) {
        String text = switch (status) {
            case 400 -> "malformed request (path, percent-encoding or headers)";
            case 431 -> "request headers are too large";
            default -> HttpStatus.getMessage(status);
        };
        return ("{\"message\":\"" + text.replace("\"", "'") + "\"}").getBytes(StandardCharsets.UTF_8);
    }
}
