package dev.ekvault.server.secret;

import dev.ekvault.server.wire.ApiException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Expands {@code ${KEY}} (same environment) and {@code ${env-name.KEY}} (another environment of the project) in the
 * values a caller can see. A reference that cannot be resolved, or a cycle, is a 400 naming the secret, never a
 * literal left in place. Each (environment, key, view) is expanded once and remembered, and the expanded length is
 * capped, so a value that references another many times cannot blow up. The whole answer is bounded too: what the
 * expansions of one answer add to the stored values is at most {@link #MAX_ADDED_CHARACTERS} characters (or one
 * value's cap, if larger), else a 400 naming that limit: 68 KB of stored values once made a 26 MB answer, each value
 * under its own cap, and a few such answers at once held over a GB.
 *
 * <p>Two views: a shared value expands against shared values only (what a deployment sees); a personal value
 * expands against the person's overrides first, then shared values (what that person sees).
 */
final class References {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{(?:([A-Za-z0-9][A-Za-z0-9 _-]*)\\.)?([A-Za-z0-9_-]+)}");

    /** Plain values of one environment, by key. */
    record EnvironmentValues(String name, Map<String, String> shared, Map<String, String> personal) {}

    private final Map<String, EnvironmentValues> byEnvironmentId;
    private final Map<String, String> environmentIdByName = new HashMap<>();
    private final Map<String, String> expanded = new HashMap<>();
    private final int maxLength;
    /** Characters the expansions of one answer may add in total (see the class comment). */
    static final int MAX_ADDED_CHARACTERS = 4 * 1024 * 1024;
    private final long maxAdded;
    private long added;

    References(Map<String, EnvironmentValues> byEnvironmentId, int maxLength) {
        this.byEnvironmentId = byEnvironmentId;
        this.maxLength = maxLength;
        this.maxAdded = Math.max(MAX_ADDED_CHARACTERS, maxLength);
        byEnvironmentId.forEach((id, values) -> environmentIdByName.put(values.name(), id));
    }

    static boolean mayContainReference(String value) {
        return value.contains("${");
    }

    /** The expanded form of the value of {@code key} in {@code environmentId}, as seen in the given view. */
    String expand(String environmentId, String key, boolean personalView, String raw) {
        List<String> path = new ArrayList<>();
        path.add(label(environmentId, key));
        String result = substitute(environmentId, key, personalView, raw, path);
        added += Math.max(0, result.length() - raw.length());
        if (added > maxAdded) {
            throw ApiException.badRequest("with resolve=true this answer would grow by more than " + maxAdded
                    + " characters (the limit of one answer's expanded references); ask for fewer secrets or without resolve=true");
        }
        return result;
    }

    private String resolve(String environmentId, String key, boolean personalView, List<String> path, String referrer, String reference) {
        String memoKey = environmentId + '\u0000' + key + '\u0000' + personalView;
        String done = expanded.get(memoKey);
        if (done != null) return done;
        EnvironmentValues values = byEnvironmentId.get(environmentId);
        String label = label(environmentId, key);
        if (path.contains(label)) {
            path.add(label);
            throw ApiException.badRequest("secret '" + path.get(0) + "' has a reference cycle: " + String.join(" -> ", path));
        }
        String raw = personalView && values.personal().containsKey(key) ? values.personal().get(key) : values.shared().get(key);
        if (raw == null) {
            throw ApiException.badRequest("secret '" + referrer + "' references '" + reference + "', which does not exist or is not visible");
        }
        path.add(label);
        String result = substitute(environmentId, key, personalView, raw, path);
        path.remove(path.size() - 1);
        expanded.put(memoKey, result);
        return result;
    }

    private String substitute(String environmentId, String key, boolean personalView, String raw, List<String> path) {
        if (!mayContainReference(raw)) return raw;
        Matcher m = REFERENCE.matcher(raw);
        StringBuilder out = new StringBuilder(raw.length());
        int last = 0;
        while (m.find()) {
            out.append(raw, last, m.start());
            String target = environmentId;
            if (m.group(1) != null) {
                target = environmentIdByName.get(m.group(1));
                if (target == null) {
                    throw ApiException.badRequest("secret '" + path.get(path.size() - 1) + "' references '" + m.group() + "', which does not exist or is not visible");
                }
            }
            out.append(resolve(target, m.group(2), personalView, path, path.get(path.size() - 1), m.group()));
            if (out.length() > maxLength) {
                throw ApiException.badRequest("secret '" + path.get(0) + "' expands to more than " + maxLength + " characters");
            }
            last = m.end();
        }
        out.append(raw, last, raw.length());
        // the text after the last reference counts too: a value may not grow past the cap by what follows its references
        if (out.length() > maxLength) {
            throw ApiException.badRequest("secret '" + path.get(0) + "' expands to more than " + maxLength + " characters");
        }
        return out.toString();
    }

    /** How messages name a value: {@code environment-name.KEY}. */
    private String label(String environmentId, String key) {
        EnvironmentValues values = byEnvironmentId.get(environmentId);
        return values.name() + "." + key;
    }
}
