package dev.ekvault.server.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.ekvault.server.wire.ApiException;

import java.net.URI;
import java.net.URISyntaxException;
import java.text.ParseException;
import java.util.regex.Pattern;

/** The shapes of an identity's fields (each failure a 400 naming the field) and how a subject pattern matches. */
final class WorkloadIdentityRules {
    static final int MAX_ISSUER_LENGTH = 512;
    static final int MAX_AUDIENCE_LENGTH = 256;
    static final int MAX_JWKS_CHARS = 64 * 1024;
    static final String SUBJECT_PREFIX = "system:serviceaccount:";
    /** A namespace is a DNS label (RFC 1123), at most 63 characters. */
    private static final String NAMESPACE = "[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?";
    /** A service-account name is a DNS subdomain (RFC 1123), at most 253 characters. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern SUBJECT = Pattern.compile(Pattern.quote(SUBJECT_PREFIX) + "(" + NAMESPACE + "):(\\*|" + NAME.pattern() + ")");

    private WorkloadIdentityRules() {}

    /** An absolute https URL (http only when allowed) without user info, query or fragment; kept exactly as written. */
    static String issuer(String value, boolean allowHttp) {
        String field = "field 'issuer'";
        if (value.isEmpty() || value.length() > MAX_ISSUER_LENGTH) throw ApiException.badRequest(field + " must be 1 to " + MAX_ISSUER_LENGTH + " characters");
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw ApiException.badRequest(field + " must be a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        boolean https = scheme.equals("https");
        if (!https && !(allowHttp && scheme.equals("http"))) {
            throw ApiException.badRequest(field + " must be an https URL" + (allowHttp ? " (or http)" : ""));
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw ApiException.badRequest(field + " must be a URL with a host and without user info, query or fragment");
        }
        return value;
    }

    static String audience(String value) {
        if (value.isEmpty() || value.length() > MAX_AUDIENCE_LENGTH || !printable(value)) {
            throw ApiException.badRequest("field 'audience' must be 1 to " + MAX_AUDIENCE_LENGTH + " printable characters");
        }
        return value;
    }

    /** {@code system:serviceaccount:<namespace>:<name>}, or {@code system:serviceaccount:<namespace>:*}. */
    static String subject(String value) {
        if (!SUBJECT.matcher(value).matches()) {
            throw ApiException.badRequest("field 'subject' must be system:serviceaccount:<namespace>:<name>, "
                    + "or system:serviceaccount:<namespace>:* for every service account of the namespace");
        }
        return value;
    }

    static boolean isWildcard(String subjectPattern) {
        return subjectPattern.endsWith(":*");
    }

    /** Exact equality, or for a {@code …:<namespace>:*} pattern any valid service-account name in that namespace. */
    static boolean subjectMatches(String subjectPattern, String sub) {
        if (!isWildcard(subjectPattern)) return subjectPattern.equals(sub);
        String prefix = subjectPattern.substring(0, subjectPattern.length() - 1);
        return sub.startsWith(prefix) && NAME.matcher(sub.substring(prefix.length())).matches();
    }

    /** The namespace part of a service-account subject, or null for any other subject. */
    static String namespaceOf(String sub) {
        if (!sub.startsWith(SUBJECT_PREFIX)) return null;
        int colon = sub.indexOf(':', SUBJECT_PREFIX.length());
        return colon < 0 ? null : sub.substring(SUBJECT_PREFIX.length(), colon);
    }

    /**
     * A pasted JWK set ({@code kubectl get --raw /openid/v1/jwks}): at most 64 KiB, public keys only, each with a
     * {@code kid} and usable for RS256, ES256 or EdDSA. Answers the set as stored (public members only).
     */
    static String jwks(JsonNode value) {
        String field = "field 'jwks'";
        if (!value.isObject()) throw ApiException.badRequest(field + " must be a JWK set object {\"keys\": […]}");
        String text = value.toString();
        if (text.length() > MAX_JWKS_CHARS) throw ApiException.badRequest(field + " is larger than " + MAX_JWKS_CHARS + " characters");
        JWKSet set;
        try {
            set = JWKSet.parse(text);
        } catch (ParseException | RuntimeException e) {
            throw ApiException.badRequest(field + " is not a valid JWK set");
        }
        if (set.getKeys().isEmpty() || set.getKeys().size() != value.path("keys").size()) {
            throw ApiException.badRequest(field + " must hold at least one key, each of a known type");
        }
        for (int i = 0; i < set.getKeys().size(); i++) {
            JWK key = set.getKeys().get(i);
            String at = "field 'jwks.keys[" + i + "]'";
            if (key.isPrivate()) throw ApiException.badRequest(at + " is a private or symmetric key; paste public keys only");
            if (key.getKeyID() == null || key.getKeyID().isEmpty()) throw ApiException.badRequest(at + " has no kid");
            if (!ClusterToken.isUsableSigningKey(key)) {
                throw ApiException.badRequest(at + " is not an RSA (2048 bits or more), EC P-256 or Ed25519 signing key");
            }
        }
        return set.toString(true);
    }

    private static boolean printable(String value) {
        for (int i = 0; i < value.length(); i++) if (Character.isISOControl(value.charAt(i))) return false;
        return true;
    }

    /** A value from a request or token, safe for a log line: short, printable ASCII only. */
    static String forLog(String value) {
        if (value == null) return "(none)";
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && i < 120; i++) {
            char ch = value.charAt(i);
            out.append(ch >= 0x20 && ch < 0x7f ? ch : '?');
        }
        return value.length() > 120 ? out + "…" : out.toString();
    }
}
