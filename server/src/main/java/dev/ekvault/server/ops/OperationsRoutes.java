package dev.ekvault.server.ops;

import dev.ekvault.api.Status;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.DatabaseUnavailable;

import java.io.IOException;
import java.io.InputStream;

/** Liveness, readiness and the OpenAPI document: public, outside {@code /v1}. */
public final class OperationsRoutes {
    public static final String OPENAPI_RESOURCE = "openapi.json";

    private OperationsRoutes() {}

    public static void register(Router router, Database database, ObjectMapper json) {
        JsonNode openApi = loadOpenApi(json);
        router.publicRoute("GET", "/healthz", "ops", ex -> new Status("ok"));
        // ready means able to serve every route, and most write: a database that answers reads but refuses writes
        // (a read-only file, a standby) is not ready, or the load balancer sends sign-ins here to fail with 500
        router.publicRoute("GET", "/readyz", "ops", ex -> {
            String problem = database.writeProblem();
            if (problem != null) throw ApiException.unavailable(problem, DatabaseUnavailable.RETRY_AFTER_SECONDS);
            return new Status("ready");
        });
        router.publicRoute("GET", "/openapi.json", "ops", ex -> openApi);
    }

    public static JsonNode loadOpenApi(ObjectMapper json) {
        try (InputStream in = OperationsRoutes.class.getClassLoader().getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the server jar");
            return json.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException(OPENAPI_RESOURCE + " is not valid JSON", e);
        }
    }
}
