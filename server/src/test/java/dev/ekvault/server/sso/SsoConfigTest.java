package dev.ekvault.server.sso;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.ConfigException;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.crypto.MasterKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sso.* settings, the sealed state on its own, and the small rules (return paths, PKCE, cookies) without a server. */
class SsoConfigTest {
    private final ConfigLoader loader = new ConfigLoader();

    @Test
    void offUnlessIssuerAndClientIdAreBothSet() {
        Config.Sso off = loader.load(List.of(), Map.of()).sso();
        assertThat(off.enabled()).isFalse();
        assertThat(off.scopes()).isEqualTo("openid email profile");
        assertThat(off.allowHttpIssuer()).isFalse();
        Config.Sso on = loader.load(List.of("--sso-issuer=https://login.example.com/", "--sso-client-id=ek"), Map.of()).sso();
        assertThat(on.enabled()).isTrue();
        assertThat(on.issuer()).as("kept exactly, trailing slash and all").isEqualTo("https://login.example.com/");
        assertThatThrownBy(() -> loader.load(List.of("--sso-issuer=https://login.example.com"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("sso.client-id");
        assertThatThrownBy(() -> loader.load(List.of("--sso-client-id=ek"), Map.of())).hasMessageContaining("sso.issuer");
        assertThatThrownBy(() -> loader.load(List.of("--sso-client-secret=s"), Map.of())).hasMessageContaining("sso.client-secret");
    }

    @Test
    void theIssuerMustBeHttpsUnlessAllowedForTests() {
        assertThatThrownBy(() -> loader.load(List.of("--sso-issuer=http://127.0.0.1:9000", "--sso-client-id=ek"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("sso.issuer must be an https URL");
        assertThat(loader.load(List.of("--sso-issuer=http://127.0.0.1:9000", "--sso-client-id=ek", "--sso-allow-http-issuer=true"), Map.of())
                .sso().enabled()).isTrue();
        for (String bad : List.of("login.example.com", "https://login.example.com?x=1", "https://login.example.com#f", "ftp://x", "https://u@x")) {
            assertThatThrownBy(() -> loader.load(List.of("--sso-issuer=" + bad, "--sso-client-id=ek"), Map.of())).as(bad).hasMessageContaining("sso.issuer");
        }
        assertThatThrownBy(() -> loader.load(List.of("--sso-issuer=https://x", "--sso-client-id=ek", "--sso-scopes=email profile"), Map.of()))
                .hasMessageContaining("openid");
        assertThatThrownBy(() -> loader.load(List.of("--sso-issuer=https://x", "--sso-client-id=e k"), Map.of())).hasMessageContaining("sso.client-id");
    }

    @Test
    void theClientSecretComesFromAFileAndIsMasked(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, "sso-client-secret-value\n");
        Config config = loader.load(List.of("--sso-issuer=https://login.example.com", "--sso-client-id=ek"),
                Map.of("EK_SSO_CLIENT_SECRET_FILE", file.toString()));
        assertThat(config.sso().clientSecret().value()).isEqualTo("sso-client-secret-value");
        assertThat(ConfigLoader.describe(config)).contains("https://login.example.com").doesNotContain("sso-client-secret-value");
        assertThat(config.toString()).doesNotContain("sso-client-secret-value");
        assertThatThrownBy(() -> loader.load(List.of("--sso-issuer=https://x", "--sso-client-id=ek", "--sso-client-secret=a",
                "--sso-client-secret-file=" + file), Map.of())).hasMessageContaining("both sso.client-secret and sso.client-secret-file");
    }

    @Test
    void theSealedStateOpensOnlyUnalteredUnexpiredAndUnderTheSameMasterKey() {
        ObjectMapper json = new ObjectMapper();
        MasterKey master = MasterKey.fromBase64(MasterKey.generateBase64());
        SealedState sealed = new SealedState(master, json);
        SealedState.State state = new SealedState.State("s", "n", "v", "acme", "/", "http://x/v1/auth/sso/callback", 1_000);
        String cookie = sealed.seal(state);
        assertThat(cookie).matches("[A-Za-z0-9_-]+").doesNotContain("acme");
        assertThat(new SealedState(master, json).open(cookie, 999)).as("another node with the same key").isEqualTo(state);
        assertThatThrownBy(() -> sealed.open(cookie, 1_000)).isInstanceOf(SsoFailure.class).hasMessageContaining("expired");
        assertThatThrownBy(() -> new SealedState(MasterKey.fromBase64(MasterKey.generateBase64()), json).open(cookie, 0))
                .isInstanceOf(SsoFailure.class).hasMessageContaining("does not open");
        String altered = cookie.substring(0, 10) + (cookie.charAt(10) == 'x' ? 'y' : 'x') + cookie.substring(11);
        assertThatThrownBy(() -> sealed.open(altered, 0)).hasMessageContaining("does not open");
        assertThatThrownBy(() -> sealed.open(null, 0)).hasMessageContaining("no sign-in state cookie");
        assertThatThrownBy(() -> sealed.open("A".repeat(SealedState.MAX_COOKIE_LENGTH + 1), 0)).hasMessageContaining("too long");
        assertThat(SealedState.deriveKey(master).getEncoded()).as("not the master key itself").isNotEqualTo(master.secretKey().getEncoded());
    }

    @Test
    void returnPathsAreLocalOnly() {
        for (String good : List.of("/", "/projects/web", "/a?b=c&d=e", "/x%20y")) assertThat(SsoService.isLocalPath(good)).as(good).isTrue();
        for (String bad : List.of("", "x", "//evil.example", "/\\evil.example", "https://evil.example", "/a b", "/a\r\nb", "/a#f",
                "/" + "a".repeat(SsoService.MAX_RETURN_PATH))) {
            assertThat(SsoService.isLocalPath(bad)).as(bad).isFalse();
        }
    }

    @Test
    void theChallengeIsRfc7636S256AndCookiesAreFoundByName() {
        // RFC 7636 appendix B
        assertThat(SsoService.challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).isEqualTo("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assertThat(SsoRoutes.cookie("a=1; ek_sso=xyz; ek_session=s", "ek_sso")).isEqualTo("xyz");
        assertThat(SsoRoutes.cookie("not_ek_sso=1", "ek_sso")).isNull();
        assertThat(SsoRoutes.cookie(null, "ek_sso")).isNull();
    }
}
