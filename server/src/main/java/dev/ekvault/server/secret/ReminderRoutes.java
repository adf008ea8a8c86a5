package dev.ekvault.server.secret;

import dev.ekvault.api.ReminderInfo;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.RequestContext;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.wire.ApiException;

/**
 * {@code /v1/workspace/{ws}/reminders}: the workspace's reminders ({@code due=true}: only those due; pages of
 * {@code limit}, following {@code cursor}), and completing one. Setting and clearing go through the secret's update
 * ({@code values[].reminder}).
 */
public final class ReminderRoutes {
    private ReminderRoutes() {}

    public static void register(Router router, ReminderService reminders) {
        String base = "/v1/workspace/{ws}/reminders";
        router.get(base, "secret", ex -> reminders.list(ex.caller(), ex.path("ws"), "true".equalsIgnoreCase(ex.query("due")),
                ex.query("cursor"), limit(ex)));
        router.post(base + "/{id}/complete", "secret", ex -> {
            ReminderInfo next = reminders.complete(ex.caller(), ex.path("ws"), ex.path("id"));
            return next == null ? Reply.noContent() : next;
        });
    }

    private static int limit(RequestContext ex) {
        String value = ex.query("limit");
        if (value == null) return ReminderService.DEFAULT_PAGE;
        int limit;
        try {
            limit = value.length() > 6 ? -1 : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > ReminderService.MAX_PAGE) throw ApiException.badRequest("query 'limit' must be 1 to " + ReminderService.MAX_PAGE);
        return limit;
    }
}
