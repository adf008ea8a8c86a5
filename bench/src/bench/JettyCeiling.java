package bench;

import dev.ekvault.server.EkServer;
import dev.ekvault.server.config.Config;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A ceiling for what ek's own code costs: the Jetty ek is built on, bound by ek's own {@link EkServer#bind} (its
 * thread pool with handlers on virtual threads, its buffers, its HTTP settings, its backlog and its check on slow
 * headers, at the defaults), answering every request with the list's exact bytes and the headers ek sends with them,
 * and doing nothing else. The distance from ek to it is ek's own work (authentication, routing, the lookup, the audit,
 * the log line); from it to nginx is Jetty's.
 * {@code java -cp <bench classes>:<ek-server.jar> bench.JettyCeiling <port> <body-file>}.
 */
public final class JettyCeiling {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        byte[] body = Files.readAllBytes(Path.of(args[1]));
        // http.accept-queue and http.min-request-data-rate at their defaults (config/Setting)
        Server jetty = EkServer.bind(new Config.Http("127.0.0.1", port, Duration.ofSeconds(1), 1024, 256)).jetty();
        jetty.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(200);
                response.getHeaders().put("X-Request-Id", "9f3c2a4b5d6e7f80");
                response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.write(true, ByteBuffer.wrap(body), callback);
                return true;
            }
        });
        jetty.start();
        System.out.println("Jetty ceiling listening on 127.0.0.1:" + port + " (Jetty " + Server.getVersion() + ", JDK " + Runtime.version() + ")");
        jetty.join();
    }
}
