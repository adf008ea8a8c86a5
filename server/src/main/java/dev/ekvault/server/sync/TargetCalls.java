package dev.ekvault.server.sync;

import dev.ekvault.server.outbound.BoundedFetch;

import java.net.URI;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * What every target does with its API's answers: a call that got no answer, a rate-limit or server-error answer
 * (retried, as long as {@code Retry-After} asks), and any other refusal become a {@link SyncTarget.Failure} whose
 * reason names the status and the call, never a header or a body (either may echo a token or a value).
 */
public final class TargetCalls {
    private TargetCalls() {}

    /** Cap on what a target's answer may hold (lists of secrets or variables, error bodies). */
    public static final int ANSWER_CAP = 4 * 1024 * 1024;

    /** Sends the call; any status is returned for the caller to judge, except that no answer at all is a failure. */
    public static BoundedFetch.Answer call(BoundedFetch fetch, String what, String method, URI uri, Map<String, String> headers, byte[] body)
            throws SyncTarget.Failure {
        try {
            return fetch.send(method, uri, headers, body, ANSWER_CAP);
        } catch (BoundedFetch.Failed e) {
            // the reason names the host only: a target's path can hold its own token (an incoming-webhook URL), and the
            // reason is shown in the sync's status and kept in the audit log
            throw new SyncTarget.Failure(what + ": " + e.getMessage().replace(BoundedFetch.forLog(uri), uri.getHost()), null);
        }
    }

    /** Refuses anything but a 2xx (and the statuses the caller accepts) as a failure naming {@code what}. */
    public static BoundedFetch.Answer expect(BoundedFetch.Answer answer, String what, int... alsoFine) throws SyncTarget.Failure {
        return expectAt(answer, what, System.currentTimeMillis(), alsoFine);
    }

    /** {@link #expect} with the time a rate-limit reset header is measured from (the push's clock). */
    public static BoundedFetch.Answer expectAt(BoundedFetch.Answer answer, String what, long now, int... alsoFine) throws SyncTarget.Failure {
        int status = answer.status();
        if (status >= 200 && status < 300) return answer;
        for (int fine : alsoFine) if (status == fine) return answer;
        Long retryAfter = retryAfterMillis(answer, now);
        if (status == 429 || status >= 500 || retryAfter != null) {
            boolean limited = status == 429 || (retryAfter != null && status < 500);
            throw new SyncTarget.Failure(what + ": the target answered " + status + (limited ? " (rate limited)" : ""), retryAfter);
        }
        if (status >= 300 && status < 400) throw new SyncTarget.Failure(what + ": the target answered a redirect (" + status + "), which is not followed", null);
        if (status == 401 || status == 403) throw new SyncTarget.Failure(what + ": the target refused the credential (" + status + ")", null);
        throw new SyncTarget.Failure(what + ": the target answered " + status, null);
    }

    /**
     * {@code Retry-After} as seconds or an HTTP date, in milliseconds from now; on a 429 without it, the
     * {@code X-RateLimit-Reset} that Vercel and GitHub send instead (the UTC epoch second the window resets; a small
     * number is read as seconds from now). Null when absent or unreadable. The reset header comes on every answer of
     * those APIs, so it only counts on a 429: a 404 is not made retryable by it.
     */
    public static Long retryAfterMillis(BoundedFetch.Answer answer) {
        return retryAfterMillis(answer, System.currentTimeMillis());
    }

    /**
     * {@code Retry-After} (seconds or an HTTP date), else an exhausted quota's reset time — {@code X-RateLimit-Remaining: 0}
     * with {@code X-RateLimit-Reset} in epoch seconds, as GitHub and others answer a primary rate limit — in milliseconds
     * from {@code now}, at most a day; null when neither is there or readable.
     */
    public static Long retryAfterMillis(BoundedFetch.Answer answer, long now) {
        String value = answer.header("Retry-After");
        if (value == null) {
            // no Retry-After: an exhausted quota's reset time (GitHub: X-RateLimit-Remaining 0 on a 403 or 429), or on a 429
            // the reset Vercel sends (it sends the header on every answer, so it only counts on a 429)
            String remaining = answer.header("X-RateLimit-Remaining");
            String reset = answer.header("X-RateLimit-Reset");
            boolean exhausted = remaining != null && remaining.strip().equals("0");
            if (reset == null || !(exhausted || answer.status() == 429)) return null;
            try {
                long n = Long.parseLong(reset.strip());
                // an epoch second, or (a small number) seconds from now
                return Math.max(0, Math.min(n > 1_000_000_000L ? n * 1000 - now : n * 1000, 86_400_000L));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        value = value.strip();
        try {
            return Math.max(0, Math.min(Long.parseLong(value), 86_400)) * 1000;
        } catch (NumberFormatException e) {
            try {
                long at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
                return Math.max(0, Math.min(at - now, 86_400_000L));
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }
}
