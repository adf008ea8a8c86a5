package dev.ekvault.server.sso;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.ekvault.server.config.Config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.text.ParseException;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks an ID token (OpenID Connect Core §3.1.3.7) and returns who it vouches for. Any failure is an
 * {@link SsoFailure.Kind#UNAUTHORIZED} whose reason says which rule broke:
 * <ul>
 *   <li>at most {@value #MAX_LENGTH} characters; a JWS whose header holds only {@code alg} (RS256 or ES256: never
 *       {@code none}, never an HMAC that a client secret could forge), {@code kid}, {@code typ} (absent or JWT) and
 *       the certificate thumbprints. {@code jku}, {@code jwk}, {@code x5u}, {@code x5c} and {@code crit} are refused,
 *       so a token can never name its own key;</li>
 *   <li>the signature by the provider's key from its {@code jwks_uri};</li>
 *   <li>{@code iss} is the configured issuer exactly, {@code aud} holds our client id, {@code azp} (required when
 *       there are several audiences) is our client id, {@code exp} is in the future and {@code iat} and {@code nbf}
 *       not, each with {@value #SKEW_SECONDS} s skew, {@code nonce} is the one we sent, {@code sub} is present;</li>
 *   <li>{@code email} is an address and {@code email_verified} is true: the email is how a person is found, so an
 *       unverified one would let anyone claim anyone's account.</li>
 * </ul>
 */
final class IdTokens {
    static final int MAX_LENGTH = 16 * 1024;
    static final long SKEW_SECONDS = 60;
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    private static final Set<String> ALLOWED_HEADER = Set.of("alg", "kid", "typ", "x5t", "x5t#S256");
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]{1,255}");

    /** The person the provider vouched for; {@code email} is lower case, {@code name} may be null. */
    record Identity(String subject, String email, String name) {}

    private final Config.Sso config;
    private final Provider provider;

    IdTokens(Config.Sso config, Provider provider) {
        this.config = config;
        this.provider = provider;
    }

    Identity validate(String token, String expectedNonce, long nowMillis) {
        if (token == null || token.isEmpty()) throw SsoFailure.unauthorized("the token endpoint sent no id_token");
        if (token.length() > MAX_LENGTH) throw SsoFailure.unauthorized("the ID token is longer than " + MAX_LENGTH + " characters");
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException | RuntimeException e) {
            throw SsoFailure.unauthorized("the ID token is not a signed JWT (alg none and malformed tokens land here)");
        }
        JWSHeader header = jwt.getHeader();
        if (!ALGORITHMS.contains(header.getAlgorithm())) {
            throw SsoFailure.unauthorized("the ID token's alg " + printable(header.getAlgorithm().getName()) + " is not RS256 or ES256");
        }
        for (String name : header.getIncludedParams()) {
            if (!ALLOWED_HEADER.contains(name)) throw SsoFailure.unauthorized("the ID token's header parameter " + printable(name) + " is not allowed");
        }
        if (header.getType() != null && !header.getType().toString().equalsIgnoreCase("JWT")) throw SsoFailure.unauthorized("the ID token's typ is not JWT");
        if (header.getKeyID() != null && header.getKeyID().length() > 256) throw SsoFailure.unauthorized("the ID token's kid is too long");

        JWK key = provider.key(header.getKeyID(), header.getAlgorithm());
        if (key == null) throw SsoFailure.unauthorized("the ID token names a key the provider does not publish");
        try {
            JWSVerifier verifier = key instanceof RSAKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECKey) key);
            if (!jwt.verify(verifier)) throw SsoFailure.unauthorized("the ID token's signature does not verify");
        } catch (JOSEException | IllegalStateException e) {
            throw SsoFailure.unauthorized("the ID token's signature cannot be checked: " + e.getClass().getSimpleName());
        }

        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw SsoFailure.unauthorized("the ID token's claims are not a JSON object of the registered types");
        }
        if (!config.issuer().equals(claims.getIssuer())) throw SsoFailure.unauthorized("the ID token's iss is not the configured issuer");
        List<String> audience = claims.getAudience();
        if (audience == null || !audience.contains(config.clientId())) throw SsoFailure.unauthorized("the ID token's aud does not hold our client id");
        String azp = string(claims, "azp");
        if (audience.size() > 1 && azp == null) throw SsoFailure.unauthorized("the ID token has several audiences and no azp");
        if (azp != null && !azp.equals(config.clientId())) throw SsoFailure.unauthorized("the ID token's azp is not our client id");
        long skew = Duration.ofSeconds(SKEW_SECONDS).toMillis();
        Date exp = claims.getExpirationTime();
        Date iat = claims.getIssueTime();
        Date nbf = claims.getNotBeforeTime();
        if (exp == null || iat == null) throw SsoFailure.unauthorized("the ID token lacks exp or iat");
        if (nowMillis >= exp.getTime() + skew) throw SsoFailure.unauthorized("the ID token has expired");
        if (iat.getTime() > nowMillis + skew) throw SsoFailure.unauthorized("the ID token was issued in the future");
        if (nbf != null && nbf.getTime() > nowMillis + skew) throw SsoFailure.unauthorized("the ID token is not valid yet (nbf)");
        String nonce = string(claims, "nonce");
        if (nonce == null || !MessageDigest.isEqual(nonce.getBytes(StandardCharsets.UTF_8), expectedNonce.getBytes(StandardCharsets.UTF_8))) {
            throw SsoFailure.unauthorized("the ID token's nonce is not the one this sign-in sent");
        }
        String subject = claims.getSubject();
        if (subject == null || subject.isEmpty() || subject.length() > 255) throw SsoFailure.unauthorized("the ID token has no usable sub");

        String email = string(claims, "email");
        if (email == null) throw SsoFailure.unauthorized("the ID token has no email (is the email scope granted?)");
        email = email.strip().toLowerCase(Locale.ROOT);
        if (!EMAIL.matcher(email).matches()) throw SsoFailure.unauthorized("the ID token's email is not an address");
        Object verified = claims.getClaim("email_verified");
        // some providers send the string "true"; anything but a true is a refusal, absence included
        if (!(Boolean.TRUE.equals(verified) || "true".equals(verified))) throw SsoFailure.unauthorized("the provider has not verified this email");
        return new Identity(subject, email, string(claims, "name"));
    }

    private static String string(JWTClaimsSet claims, String name) {
        Object value = claims.getClaim(name);
        if (value == null) return null;
        if (!(value instanceof String text)) throw SsoFailure.unauthorized("the ID token's " + name + " is not a string");
        return text;
    }

    /** A header value for the log: short, printable ASCII only. */
    private static String printable(String text) {
        String cut = text.length() > 32 ? text.substring(0, 32) + "…" : text;
        return "'" + cut.replaceAll("[^\\x20-\\x7e]", "?") + "'";
    }
}
