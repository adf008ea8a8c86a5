package dev.ekvault.server.share;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.api.ErrorCode;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.ratelimit.RateLimit;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.JsonInput;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code /v1/workspace/{ws}/project/{prj}/secret-share} (create, list, revoke) and the public
 * {@code POST /v1/share/{token}/view}. The request log names the route template, never the path, so a token in the
 * path reaches no log line.
 */
public final class ShareRoutes {
    private static final Pattern DURATION = Pattern.compile("([1-9][0-9]{0,5})([hdw])");

    private ShareRoutes() {}

    public static void register(Router router, ShareService shares, String configuredPublicUrl) {
        String base = "/v1/workspace/{ws}/project/{prj}/secret-share";
        router.post(base, "secret-share", ex -> Reply.created(shares.create(ex.caller(), ex.path("ws"), ex.path("prj"),
                request(ex.body(), shares), ex.baseUrl(configuredPublicUrl))));
        router.get(base, "secret-share", ex -> shares.list(ex.caller(), ex.path("ws"), ex.path("prj")));
        router.delete(base + "/{id}", "secret-share", ex -> {
            shares.revoke(ex.caller(), ex.path("ws"), ex.path("prj"), ex.path("id"));
            return Reply.noContent();
        });
        router.publicRoute("POST", "/v1/share/{token}/view", "secret-share", ex -> {
            String password = ex.body().optionalString("password", null);
            if (password != null && password.length() > ShareService.MAX_PASSWORD_LENGTH) {
                throw ApiException.badRequest("field 'password' is longer than " + ShareService.MAX_PASSWORD_LENGTH + " characters");
            }
            try {
                return shares.view(ex.path("token"), password);
            } catch (ShareService.AttemptsExhausted e) {
                ex.responseHeaders().put(RateLimit.RETRY_AFTER_HEADER, Long.toString(e.retryAfterSeconds));
                throw new ApiException(ErrorCode.TOO_MANY_REQUESTS, "too many wrong passwords for this share; retry after "
                        + e.retryAfterSeconds + " seconds");
            }
        });
    }

    private static ShareService.Request request(JsonInput body, ShareService shares) {
        String text = body.optionalString("text", null);
        String secretId = body.optionalString("secretId", null);
        String key = body.optionalString("key", null);
        if (secretId != null && key != null) throw ApiException.badRequest("field 'key' and field 'secretId' name the same thing: send one");
        String secretRef = secretId != null ? secretId : key;
        String environmentId = body.optionalString("environmentId", null);
        boolean personal = body.optionalBoolean("isPersonal", false);
        if ((text == null) == (secretRef == null)) {
            throw ApiException.badRequest("field 'text' or field 'secretId' (or 'key') is required, and only one of them");
        }
        if (text != null) {
            if (text.isEmpty()) throw ApiException.badRequest("field 'text' must not be empty");
            if (text.getBytes(StandardCharsets.UTF_8).length > shares.maxTextBytes()) {
                throw ApiException.badRequest("field 'text' is longer than " + shares.maxTextBytes() + " bytes");
            }
            if (environmentId != null || personal) throw ApiException.badRequest("field 'environmentId' and 'isPersonal' go with a secret, not a text");
        } else {
            if (secretRef.isEmpty() || secretRef.length() > 1024) throw ApiException.badRequest("field '" + (secretId != null ? "secretId" : "key") + "' must be 1 to 1024 characters");
            if (environmentId == null) throw ApiException.badRequest("field 'environmentId' is required with a secret");
            environmentId = FieldRules.uuid(environmentId, "environmentId").toLowerCase(Locale.ROOT);
        }
        Duration max = shares.limits().maxExpiry();
        Duration expiresIn = expiresIn(body.optionalJson("expiresIn"), max);
        int maxViews = maxViews(body.optionalJson("maxViews"), shares.limits().maxViews());
        String password = body.optionalString("password", null);
        if (password != null) {
            if (password.isEmpty()) password = null; // the dashboard's empty field: no password
            else if (password.length() > ShareService.MAX_PASSWORD_LENGTH) {
                throw ApiException.badRequest("field 'password' is longer than " + ShareService.MAX_PASSWORD_LENGTH + " characters");
            }
        }
        return new ShareService.Request(text, secretRef, environmentId, personal, expiresIn, maxViews, password);
    }

    /**
     * A number of seconds, or a text such as {@code 1h}, {@code 7d} or {@code 2w}; at most the configured maximum.
     * (No {@code m}: API tokens spell months with it, and minutes are seconds here.) Absent: 7 days, or the maximum if
     * that is shorter.
     */
    static Duration expiresIn(JsonNode node, Duration max) {
        if (node == null || node.isNull()) return ShareService.DEFAULT_EXPIRY.compareTo(max) <= 0 ? ShareService.DEFAULT_EXPIRY : max;
        Duration d;
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            d = Duration.ofSeconds(node.longValue());
        } else if (node.isTextual()) {
            Matcher m = DURATION.matcher(node.textValue());
            if (!m.matches()) throw ApiException.badRequest("field 'expiresIn' must be a number of seconds or a duration such as 1h, 7d or 2w");
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofDays(7 * n);
            };
        } else {
            throw ApiException.badRequest("field 'expiresIn' must be a number of seconds or a duration such as 1h, 7d or 2w");
        }
        if (d.toSeconds() < 60) throw ApiException.badRequest("field 'expiresIn' must be at least 60 seconds");
        if (d.compareTo(max) > 0) throw ApiException.badRequest("field 'expiresIn' must be at most " + max.toHours() + " hours");
        return d;
    }

    static int maxViews(JsonNode node, int max) {
        if (node == null || node.isNull()) return 1;
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 1 || node.intValue() > max) {
            throw ApiException.badRequest("field 'maxViews' must be a whole number from 1 to " + max);
        }
        return node.intValue();
    }
}
