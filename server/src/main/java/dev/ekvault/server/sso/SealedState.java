package dev.ekvault.server.sso;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.crypto.Aad;
import dev.ekvault.server.crypto.Aead;
import dev.ekvault.server.crypto.IntegrityException;
import dev.ekvault.server.crypto.MasterKey;

import javax.crypto.SecretKey;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * What a sign-in remembers between {@code /start} and {@code /callback}, kept in the browser instead of a table: the
 * state, nonce and PKCE verifier, sealed with AES-256-GCM under a key derived from the master key. Any node can open
 * it (they share the master key), nobody else can read or forge it, and nothing is left behind when a sign-in is
 * abandoned. It is bound to its purpose by the AAD and dies at {@code expiresAt} whatever the cookie's Max-Age says.
 */
final class SealedState {
    static final int MAX_COOKIE_LENGTH = 2048;
    private static final int MAX_FIELD = 512;
    private static final byte[] AAD = Aad.of("ek/sso-state/v1");
    private static final int KEY_ID = 1;

    /** One sign-in in flight; {@code workspace} may be null, {@code returnPath} is a validated local path. */
    record State(String state, String nonce, String verifier, String workspace, String returnPath, String redirectUri, long expiresAt) {}

    /** The key is derived at each use: after a master key rotation this node seals under the new key at once. */
    private final MasterKey masterKey;
    private final ObjectMapper json;

    SealedState(MasterKey masterKey, ObjectMapper json) {
        this.masterKey = masterKey;
        this.json = json;
    }

    /** A key of its own (see {@link MasterKey#derive}), so this cookie can never be opened as anything else. */
    static SecretKey deriveKey(MasterKey masterKey) {
        return masterKey.derive("ek/sso-state/v1");
    }

    String seal(State s) {
        ObjectNode node = json.createObjectNode();
        node.put("s", s.state());
        node.put("n", s.nonce());
        node.put("v", s.verifier());
        if (s.workspace() != null) node.put("w", s.workspace());
        node.put("r", s.returnPath());
        node.put("u", s.redirectUri());
        node.put("e", s.expiresAt());
        byte[] sealed = Aead.seal(deriveKey(masterKey), KEY_ID, node.toString().getBytes(StandardCharsets.UTF_8), AAD);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sealed);
    }

    /** The state in the cookie, or a 400-kind failure when it is missing, not ours, altered or past its time. */
    State open(String cookie, long now) {
        if (cookie == null || cookie.isEmpty()) throw SsoFailure.badRequest("no sign-in state cookie (ek_sso): the flow was not started here, or it expired");
        if (cookie.length() > MAX_COOKIE_LENGTH) throw SsoFailure.badRequest("the sign-in state cookie is too long");
        byte[] plain;
        try {
            plain = Aead.open(deriveKey(masterKey), Base64.getUrlDecoder().decode(cookie), AAD);
        } catch (IllegalArgumentException | IntegrityException e) {
            throw SsoFailure.badRequest("the sign-in state cookie does not open: altered, or sealed under another master key");
        }
        State s;
        try {
            JsonNode node = json.readTree(plain);
            JsonNode workspace = node.get("w");
            s = new State(text(node, "s"), text(node, "n"), text(node, "v"), workspace == null ? null : text(node, "w"), text(node, "r"),
                    text(node, "u"), node.get("e").longValue());
            if (!node.get("e").isIntegralNumber()) throw new IllegalArgumentException();
        } catch (java.io.IOException | RuntimeException e) {
            // it authenticated, so we sealed it: only a change of this format could land here
            throw SsoFailure.badRequest("the sign-in state cookie has an unknown layout");
        }
        if (now >= s.expiresAt()) throw SsoFailure.badRequest("the sign-in state cookie has expired");
        return s;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.textValue().length() > MAX_FIELD) throw new IllegalArgumentException(field);
        return value.textValue();
    }
}
