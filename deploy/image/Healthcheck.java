import java.net.HttpURLConnection;
import java.net.URI;

/**
 * The image's health check command: the image has no shell and no curl, so its own Java runtime asks the server's
 * {@code /readyz} (or the path given as the first argument) on the port the server listens on ({@code EK_HTTP_PORT},
 * as the server reads it). Exit 0 on a 200 answer, 1 on anything else, within a few seconds. Compiled by
 * {@code deploy/image/build} into the image; it uses only {@code java.base}.
 */
public final class Healthcheck {
    private Healthcheck() {}

    public static void main(String[] args) {
        String path = args.length > 0 ? args[0] : "/readyz";
        String port = System.getenv().getOrDefault("EK_HTTP_PORT", "8080");
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + Integer.parseInt(port) + path)
                    .toURL().openConnection();
            connection.setConnectTimeout(2000);
            connection.setReadTimeout(3000);
            int status = connection.getResponseCode();
            connection.disconnect();
            if (status == 200) System.exit(0);
            System.err.println("healthcheck: " + path + " answered " + status);
            System.exit(1);
        } catch (Exception e) {
            System.err.println("healthcheck: " + path + " did not answer: " + e.getClass().getSimpleName());
            System.exit(1);
        }
    }
}
