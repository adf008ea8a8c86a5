package dev.ekvault.server.people;

import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.JsonInput;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;

import dev.ekvault.api.DeviceError;

/** {@code /v1/auth/device/*}: the routes of {@code ek login} (RFC 8628). */
public final class DeviceFlowRoutes {
    private DeviceFlowRoutes() {}

    public static void register(Router router, DeviceFlow flow, String configuredPublicUrl) {
        router.publicRoute("POST", "/v1/auth/device/code", "auth",
                ex -> flow.start(ex.body().requiredString("clientId"), ex.baseUrl(configuredPublicUrl)));
        router.publicRoute("POST", "/v1/auth/device/token", "auth", ex -> {
            JsonInput body = ex.body();
            try {
                return flow.poll(body.requiredString("clientId"), body.requiredString("deviceCode"));
            } catch (DeviceFlow.Pending pending) {
                // RFC 8628 answers with {"error"}; {"message"} is kept for clients that read only ours
                return new Reply(400, new DeviceError(pending.error, pending.error));
            }
        });
        router.post("/v1/auth/device/approve", "auth", ex -> {
            JsonInput body = ex.body();
            String action = body.optionalString("action", "approve");
            if (!action.equals("approve") && !action.equals("deny")) throw ApiException.badRequest("field 'action' must be 'approve' or 'deny'");
            flow.answer(ex.caller(), body.requiredString("userCode"), action.equals("approve"));
            return Reply.noContent();
        });
    }
}
