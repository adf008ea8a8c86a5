package dev.ekvault.server.sync;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One kind of place secrets are pushed to (a provider: GitHub Actions, Vercel, a Kubernetes Secret, a webhook), behind
 * the one small interface the engine needs: the wizard's forms for its own steps ({@code auth}: how to reach it,
 * {@code target}: where exactly), the check of each step's answers, and an idempotent push of an environment's
 * values. Everything else — the journal, coalescing, leases, retries, status, sealing — is the engine's.
 */
public interface SyncTarget {
    /** The steps every sync's wizard goes through, in order; {@code mapping} (which environment) is the engine's. */
    List<String> STEPS = List.of("auth", "target", "mapping");

    /** The provider's slug in {@code /v1/sync/{slug}/…}. */
    String slug();

    String title();

    /** The form of {@code auth} or {@code target}. */
    List<Field> form(String step);

    /**
     * Checks a step's answers (a bad one: {@code ApiException} 400 naming the field, never echoing a value) and returns
     * what to keep: non-secret settings, and for {@code auth} the credential to seal (never shown again). {@code shownOnce}
     * is what the answer may show the person once (a generated signing secret).
     */
    Accepted accept(String step, Map<String, String> answers, Map<String, String> settingsSoFar);

    /**
     * {@link #accept} for a target that must call its API to check the {@code target} step (does that repository exist,
     * may this credential write there): {@code credential} is the one kept at the {@code auth} step (null before it).
     * The wizard calls this one, outside any database transaction, so a slow API holds no lock.
     */
    default Accepted accept(String step, Map<String, String> answers, Map<String, String> settingsSoFar, String credential) {
        return accept(step, answers, settingsSoFar);
    }

    /** Writes the environment's state to the target. Idempotent: a retry of the same push changes nothing more. */
    void push(Push push) throws Failure;

    /**
     * A form field; {@code type}: text, secret, url, textarea, boolean or select (with {@code options}). {@code value}:
     * what the form starts with (null: empty, a boolean unticked); never a secret.
     */
    record Field(String name, String label, String type, boolean required, String hint, List<Option> options, String value) {
        public Field(String name, String label, String type, boolean required, String hint, List<Option> options) {
            this(name, label, type, required, hint, options, null);
        }

        public static Field of(String name, String label, String type, boolean required, String hint) {
            return new Field(name, label, type, required, hint, null);
        }

        /** This field starting with {@code value}. */
        public Field startingWith(String value) {
            return new Field(name, label, type, required, hint, options, value);
        }
    }

    record Option(String value, String label) {}

    record Accepted(Map<String, String> settings, String credential, Map<String, String> shownOnce) {
        public static Accepted settings(Map<String, String> settings) {
            return new Accepted(settings, null, Map.of());
        }
    }

    /**
     * One push: the sync's settings and credential, every value the environment holds now (resolved), what changed
     * and what was deleted since the last successful push, whether values may be sent (a webhook's choice; the other
     * targets need them), whether keys gone here go there too, and an id that stays the same across retries of this
     * push (an idempotency key). {@code reminders}: the due reminders of the environment's shared values not yet
     * delivered to this sync (a webhook tells its receiver; a target that only stores values ignores them). A push may
     * carry reminders and no change at all.
     */
    record Push(String syncId, String pushId, Map<String, String> settings, String credential, String environmentName,
                Map<String, String> values, Set<String> changed, Set<String> deleted, boolean sendValues, boolean deleteMissing, long at,
                List<Reminder> reminders) {}

    /** A due reminder on a shared value: its key, {@code one_time} or {@code recurring}, and the occurrence that is due (ISO-8601). */
    record Reminder(String key, String type, String nextReminderDate) {}

    /**
     * The target did not take the push. {@code retryAfterMillis}: what its rate-limit answer asked for (null: our
     * backoff decides). The message is shown in the sync's status and the audit log: never a value or a token.
     */
    final class Failure extends Exception {
        private final Long retryAfterMillis;

        public Failure(String reason, Long retryAfterMillis) {
            super(reason, null, false, false);
            this.retryAfterMillis = retryAfterMillis;
        }

        public Long retryAfterMillis() {
            return retryAfterMillis;
        }
    }
}
