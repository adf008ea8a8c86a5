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
            throw new SyncTarget.Failure(what + ": " + e.getMessage(), null);
        }
    }

    /** Refuses anything but a 2xx (and the statuses the caller accepts) as a failure naming {@code what}. */
    public static BoundedFetch.Answer expect(BoundedFetch.Answer answer, String what, int... alsoFine) throws SyncTarget.Failure {
        int status = answer.status();
        if (status >= 200 && status < 300) return answer;
        for (int fine : alsoFine) if (status == fine) return answer;
        Long retryAfter = retryAfterMillis(answer);
        if (status == 429 || status >= 500 || retryAfter != null) {
            throw new SyncTarget.Failure(what + ": the target answered " + status + (status == 429 ? " (rate limited)" : ""), retryAfter);
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
        String value = answer.header("Retry-After");
        if (value == null && answer.status() == 429) {
            String reset = answer.header("X-RateLimit-Reset");
            if (reset == null) return null;
            try {
                long n = Long.parseLong(reset.strip());
                // the remote's epoch is wall-clock time, so wall-clock now (as for the HTTP date below)
                long millis = n > 1_000_000_000L ? n * 1000 - System.currentTimeMillis() : n * 1000;
                return Math.max(0, Math.min(millis, 86_400_000L));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        if (value == null) return null;
        value = value.strip();
        try {
            return Math.max(0, Math.min(Long.parseLong(value), 86_400)) * 1000;
        } catch (NumberFormatException e) {
            try {
                long at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
                return Math.max(0, Math.min(at - System.currentTimeMillis(), 86_400_000L));
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }
}
