package dev.ekvault.server.sync.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.outbound.BoundedFetch;
import dev.ekvault.server.sync.SyncTarget;
import dev.ekvault.server.sync.TargetCalls;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.WireTime;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A signed webhook in the Standard Webhooks style: a JSON POST with {@code webhook-id} (the same for every retry of
 * one push, so a receiver can drop duplicates), {@code webhook-timestamp} (seconds) and {@code webhook-signature}
 * ({@code v1,} + base64 HMAC-SHA256 over {@code id.timestamp.body} under the {@code whsec_} secret). It says what
 * changed — the keys changed and deleted — and carries the changed values only when the sync is set to send them.
 */
public final class WebhookTarget implements SyncTarget {
    private static final String PREFIX = "whsec_";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BoundedFetch fetch;
    private final boolean allowHttp;

    public WebhookTarget(BoundedFetch fetch, boolean allowHttp) {
        this.fetch = fetch;
        this.allowHttp = allowHttp;
    }

    @Override
    public String slug() {
        return "webhook";
    }

    @Override
    public String title() {
        return "Webhook";
    }

    @Override
    public List<Field> form(String step) {
        if (step.equals("auth")) {
            return List.of(Field.of("signingSecret", "Signing secret", "secret", false,
                    "whsec_ followed by base64 of 24 to 64 random bytes; leave empty to have one made (shown once)."));
        }
        return List.of(Field.of("url", "Webhook URL", "url", true, "https only; redirects are not followed."),
                Field.of("sendValues", "Send the changed values", "boolean", false,
                        "Off by default: the receiver is told which keys changed, not their values."));
    }

    @Override
    public Accepted accept(String step, Map<String, String> answers, Map<String, String> settingsSoFar) {
        return accept(step, answers, settingsSoFar, null);
    }

    /**
     * The URL is kept with the signing secret, sealed (credential = secret, a line break, URL), and only its host is a
     * setting: many webhook URLs carry their own token in the path (a chat's incoming-webhook URL), and settings are
     * shown in the sync's status and its audit entries.
     */
    @Override
    public Accepted accept(String step, Map<String, String> answers, Map<String, String> settingsSoFar, String credential) {
        String url = credential == null || credential.indexOf('\n') < 0 ? null : credential.substring(credential.indexOf('\n') + 1);
        if (step.equals("auth")) {
            Accepted signing = signing(answers);
            return new Accepted(Map.of(), url == null ? signing.credential() : signing.credential() + "\n" + url, signing.shownOnce());
        }
        if (credential == null) throw ApiException.conflict("finish the 'auth' step of this sync first");
        Accepted target = target(answers);
        String secret = credential.indexOf('\n') < 0 ? credential : credential.substring(0, credential.indexOf('\n'));
        return new Accepted(target.settings(), secret + "\n" + target.credential(), Map.of());
    }

    /** The auth step's answer: the signing secret given, or one made here and shown once. */
    private static Accepted signing(Map<String, String> answers) {
        String secret = answers.getOrDefault("signingSecret", "").strip();
        if (secret.isEmpty()) {
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            secret = PREFIX + Base64.getEncoder().encodeToString(raw);
            return new Accepted(Map.of(), secret, Map.of("signingSecret", secret));
        }
        key(secret); // refuses a malformed one
        return new Accepted(Map.of(), secret, Map.of());
    }

    /** The target step's answers: the URL (returned as the credential's second part) and the host and sendValues settings. */
    private Accepted target(Map<String, String> answers) {
        String url = answers.getOrDefault("url", "").strip();
        if (url.isEmpty()) throw ApiException.badRequest("field 'url' is required");
        if (url.length() > 2048) throw ApiException.badRequest("field 'url' must be at most 2048 characters");
        URI checked;
        try {
            checked = BoundedFetch.url(url, "field 'url'", allowHttp);
        } catch (BoundedFetch.Failed e) {
            throw ApiException.badRequest("field 'url' must be an https URL with a host, without user info or fragment");
        }
        String sendValues = answers.getOrDefault("sendValues", "false");
        if (!sendValues.equals("true") && !sendValues.equals("false")) throw ApiException.badRequest("field 'sendValues' must be true or false");
        return new Accepted(Map.of("host", checked.getHost(), "sendValues", sendValues), url, Map.of());
    }

    private static byte[] key(String secret) {
        byte[] raw = null;
        if (secret.startsWith(PREFIX)) {
            try {
                raw = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
            } catch (IllegalArgumentException e) {
                raw = null;
            }
        }
        if (raw == null || raw.length < 24 || raw.length > 64) {
            throw ApiException.badRequest("field 'signingSecret' must be whsec_ followed by base64 of 24 to 64 bytes");
        }
        return raw;
    }

    @Override
    public void push(Push push) throws Failure {
        ObjectNode body = JSON.createObjectNode();
        // a push that only delivers due reminders says so; otherwise the same event as ever, reminders beside the changes
        boolean remindersOnly = push.changed().isEmpty() && push.deleted().isEmpty() && !push.reminders().isEmpty();
        body.put("type", remindersOnly ? "reminders.due" : "secrets.changed");
        body.put("timestamp", WireTime.format(push.at()));
        ObjectNode data = body.putObject("data");
        data.put("syncId", push.syncId());
        data.put("environment", push.environmentName());
        push.changed().forEach(data.putArray("changed")::add);
        var deleted = data.putArray("deleted");
        if (push.deleteMissing()) push.deleted().forEach(deleted::add);
        if (push.sendValues()) {
            ObjectNode values = data.putObject("values");
            for (String key : push.changed()) values.put(key, push.values().get(key));
        }
        var reminders = data.putArray("reminders");
        for (SyncTarget.Reminder r : push.reminders()) {
            reminders.addObject().put("key", r.key()).put("type", r.type()).put("nextReminderDate", r.nextReminderDate());
        }
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        String timestamp = Long.toString(push.at() / 1000);
        URI url;
        try {
            url = BoundedFetch.url(push.credential().substring(push.credential().indexOf('\n') + 1), "the webhook URL", allowHttp);
        } catch (BoundedFetch.Failed e) {
            throw new Failure(e.getMessage(), null);
        }
        Map<String, String> headers = Map.of("Content-Type", "application/json", "User-Agent", "ek-sync",
                "webhook-id", push.pushId(), "webhook-timestamp", timestamp,
                "webhook-signature", "v1," + sign(key(push.credential().substring(0, push.credential().indexOf('\n'))), push.pushId() + "." + timestamp + ".", bytes));
        TargetCalls.expect(TargetCalls.call(fetch, "POST to the webhook", "POST", url, headers, bytes), "POST to the webhook");
    }

    /** HMAC-SHA256 over {@code prefix} then the body, base64. */
    static String sign(byte[] key, String prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(prefix.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
