package dev.ekvault.server.dashboard;

import dev.ekvault.server.http.RawBody;
import dev.ekvault.server.http.RequestContext;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.wire.ApiException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The dashboard: static files from {@code resources/dashboard}, a single page whose ES modules use only the public
 * {@code /v1} API with the session cookie and its CSRF header. Every answer carries the strict Content-Security-Policy
 * of {@link RawBody} answers (no inline script or style, nothing from other origins, no framing).
 *
 * <p>The scripts and styles are served under {@code /assets/<version>/}, where the version is a hash of every file:
 * a browser may keep them for a year, and a new server build changes the path instead of relying on revalidation. The
 * page itself ({@code index.html}, the same for every dashboard path: the script picks the view) is revalidated on each
 * load, so it always names the current assets.
 */
public final class DashboardRoutes {
    /** The dashboard's paths: each answers the same page. Kept in step with the router in {@code app.js}. */
    static final List<String> PAGES = List.of("/", "/sign-in", "/sign-up", "/invite/{token}", "/account",
            "/w/{ws}", "/w/{ws}/{section}", "/w/{ws}/p/{prj}",
            "/w/{ws}/p/{prj}/shares", "/share");
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";

    private DashboardRoutes() {}

    public static void register(Router router) {
        Map<String, byte[]> files = readAll();
        String version = version(files);
        Map<String, RawBody> assets = new TreeMap<>();
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            String type = contentType(file.getKey());
            if (type != null) assets.put(file.getKey(), new RawBody(type, file.getValue()));
        }
        RawBody index = new RawBody("text/html; charset=utf-8", new String(required(files, "index.html"), StandardCharsets.UTF_8)
                .replace("%ASSETS%", "/assets/" + version).getBytes(StandardCharsets.UTF_8));
        for (String page : PAGES) {
            router.publicRoute("GET", page, "dashboard", ex -> {
                ex.responseHeaders().put("Cache-Control", "no-cache");
                return index;
            });
        }
        router.publicRoute("GET", "/assets/{version}/{file}", "dashboard",
                ex -> asset(ex, version, assets, ex.path("file")));
        router.publicRoute("GET", "/assets/{version}/{dir}/{file}", "dashboard",
                ex -> asset(ex, version, assets, ex.path("dir") + "/" + ex.path("file")));

        // the page `ek login` opens; its paths are printed by clients already in use, so they stay
        RawBody device = new RawBody("text/html; charset=utf-8", required(files, "device.html"));
        router.publicRoute("GET", "/device", "dashboard", ex -> device);
        router.publicRoute("GET", "/dashboard/device.js", "dashboard", ex -> assets.get("device.js"));
        router.publicRoute("GET", "/dashboard/ek.css", "dashboard", ex -> assets.get("ek.css"));
    }

    private static RawBody asset(RequestContext ex, String version, Map<String, RawBody> assets, String name) {
        RawBody body = assets.get(name);
        if (body == null || !version.equals(ex.path("version"))) throw ApiException.notFound("asset");
        ex.responseHeaders().put("Cache-Control", IMMUTABLE);
        return body;
    }

    /** The version of this build's dashboard files, as it appears in their paths. */
    static String version(Map<String, byte[]> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> file : files.entrySet()) { // sorted: the same files give the same version
                sha.update(file.getKey().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(file.getValue());
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String contentType(String name) {
        if (name.endsWith(".js")) return "text/javascript; charset=utf-8";
        if (name.endsWith(".css")) return "text/css; charset=utf-8";
        if (name.endsWith(".png")) return "image/png";
        return null; // html is served by its own routes; anything else is not served
    }

    private static byte[] required(Map<String, byte[]> files, String name) {
        byte[] bytes = files.get(name);
        if (bytes == null) throw new IllegalStateException("dashboard/" + name + " is missing from the server jar");
        return bytes;
    }

    /** Every file under {@code dashboard/}, by its path below it, from the jar or (in tests) the classes folder. */
    static Map<String, byte[]> readAll() {
        URL marker = DashboardRoutes.class.getClassLoader().getResource("dashboard/index.html");
        if (marker == null) throw new IllegalStateException("dashboard/index.html is missing from the server jar");
        try {
            URI uri = marker.toURI();
            if (!"jar".equals(uri.getScheme())) return readTree(Path.of(uri).getParent());
            FileSystem jar;
            boolean opened = false;
            try {
                jar = FileSystems.newFileSystem(uri, Map.of());
                opened = true;
            } catch (FileSystemAlreadyExistsException e) {
                jar = FileSystems.getFileSystem(uri);
            }
            try {
                return readTree(jar.getPath("/dashboard"));
            } finally {
                if (opened) jar.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, byte[]> readTree(Path root) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (!Files.isRegularFile(path)) continue;
                try (InputStream in = Files.newInputStream(path)) {
                    files.put(root.relativize(path).toString().replace('\\', '/'), in.readAllBytes());
                }
            }
        }
        return files;
    }
}
