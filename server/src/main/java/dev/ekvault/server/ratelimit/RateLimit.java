package dev.ekvault.server.ratelimit;

import org.eclipse.jetty.http.HttpFields;

/** What a rate limiter answers, and the response headers that tell the client about it. */
public final class RateLimit {
    public static final String LIMIT_HEADER = "RateLimit-Limit";
    public static final String REMAINING_HEADER = "RateLimit-Remaining";
    public static final String RESET_HEADER = "RateLimit-Reset";
    public static final String RETRY_AFTER_HEADER = "Retry-After";

    private RateLimit() {}

    /**
     * One request's verdict.
     *
     * @param allowed      whether the request may go ahead
     * @param limit        requests allowed per window; 0 means no limit applies ({@link #UNLIMITED}), and then no
     *                     headers are written
     * @param remaining    requests left in this window after this one (0 when refused)
     * @param resetSeconds whole seconds, rounded up, until the window resets
     */
    public record Decision(boolean allowed, int limit, int remaining, long resetSeconds) {
        /** The answer of a limiter that is turned off. */
        public static final Decision UNLIMITED = new Decision(true, 0, 0, 0);

        public Decision {
            if (limit < 0 || remaining < 0 || remaining > limit || resetSeconds < 0) {
                throw new IllegalArgumentException("inconsistent rate-limit decision: limit " + limit + ", remaining " + remaining
                        + ", reset " + resetSeconds);
            }
            if (!allowed && limit == 0) throw new IllegalArgumentException("an unlimited decision cannot refuse");
        }

        /** True unless this is {@link #UNLIMITED}. */
        public boolean limited() {
            return limit > 0;
        }

        /** Seconds a refused client should wait: the time to the reset, and never less than one. */
        public long retryAfterSeconds() {
            return Math.max(1, resetSeconds);
        }

        /**
         * Sets {@code RateLimit-Limit}, {@code RateLimit-Remaining} and {@code RateLimit-Reset}, and
         * {@code Retry-After} when refused, replacing any earlier values; writes nothing for {@link #UNLIMITED}.
         */
        public void writeHeaders(HttpFields.Mutable headers) {
            if (!limited()) return;
            headers.put(LIMIT_HEADER, Integer.toString(limit));
            headers.put(REMAINING_HEADER, Integer.toString(remaining));
            headers.put(RESET_HEADER, Long.toString(resetSeconds));
            if (!allowed) headers.put(RETRY_AFTER_HEADER, Long.toString(retryAfterSeconds()));
        }
    }

    /** Whole seconds from {@code nowMillis} to {@code windowEndMillis}, rounded up; at least 1 while the window is open. */
    static long secondsUntil(long windowEndMillis, long nowMillis) {
        long millis = Math.max(0, windowEndMillis - nowMillis);
        return (millis + 999) / 1000;
    }
}
