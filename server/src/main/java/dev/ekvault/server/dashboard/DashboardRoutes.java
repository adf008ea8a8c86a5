package dev.ekvault.server.dashboard;

import dev.ekvault.server.http.RawBody;
import dev.ekvault.server.http.Router;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The pages people open in a browser: for now the device-approval page that {@code ek login} sends them to. Static
 * files from {@code resources/dashboard}, served with a strict Content-Security-Policy (no inline script, nothing
 * from other origins, no framing).
 */
public final class DashboardRoutes {
    private DashboardRoutes() {}

    public static void register(Router router) {
        RawBody page = load("device.html", "text/html; charset=utf-8");
        RawBody script = load("device.js", "text/javascript; charset=utf-8");
        RawBody style = load("ek.css", "text/css; charset=utf-8");
        router.publicRoute("GET", "/device", "ops", ex -> page);
        router.publicRoute("GET", "/dashboard/device.js", "ops", ex -> script);
        router.publicRoute("GET", "/dashboard/ek.css", "ops", ex -> style);
    }

    private static RawBody load(String name, String contentType) {
        try (InputStream in = DashboardRoutes.class.getClassLoader().getResourceAsStream("dashboard/" + name)) {
            if (in == null) throw new IllegalStateException("dashboard/" + name + " is missing from the server jar");
            return new RawBody(contentType, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
