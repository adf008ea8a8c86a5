package dev.ekvault.server.oidc;

import dev.ekvault.server.http.ApiException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The field rules of an identity and how its subject pattern matches a token's sub. */
class OidcRulesTest {
    @Test
    void issuersAreHttpsUnlessHttpIsAllowedAndKeptExactlyAsWritten() {
        assertThatThrownBy(() -> OidcRules.issuer("http://127.0.0.1:8443", false))
                .isInstanceOf(ApiException.class).hasMessageContaining("'issuer'").hasMessageContaining("https");
        assertThat(OidcRules.issuer("http://127.0.0.1:8443", true)).isEqualTo("http://127.0.0.1:8443");
        assertThat(OidcRules.issuer("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC/", false))
                .as("a trailing slash is part of the issuer").isEqualTo("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC/");
        assertThat(OidcRules.issuer("https://kubernetes.default.svc.cluster.local", false)).isEqualTo("https://kubernetes.default.svc.cluster.local");
        assertThatThrownBy(() -> OidcRules.issuer("kubernetes/serviceaccount", true)).hasMessageContaining("'issuer'");
    }

    @Test
    void subjectsAreServiceAccountsOrAWholeNamespace() {
        String namespace63 = "n".repeat(63);
        assertThat(OidcRules.subject("system:serviceaccount:" + namespace63 + ":api")).isNotNull();
        assertThatThrownBy(() -> OidcRules.subject("system:serviceaccount:" + namespace63 + "n:api")).hasMessageContaining("'subject'");
        assertThat(OidcRules.subject("system:serviceaccount:ns:" + "a".repeat(253))).isNotNull();
        assertThatThrownBy(() -> OidcRules.subject("system:serviceaccount:ns:" + "a".repeat(254))).hasMessageContaining("'subject'");
        assertThat(OidcRules.subject("system:serviceaccount:team-a:build.bot")).isNotNull();
        assertThat(OidcRules.subject("system:serviceaccount:team-a:*")).isNotNull();
        assertThatThrownBy(() -> OidcRules.subject("system:serviceaccount:-ns:api")).hasMessageContaining("'subject'");
    }

    @Test
    void aWildcardCoversEveryServiceAccountOfItsNamespaceAndNothingElse() {
        String pattern = "system:serviceaccount:payments:*";
        assertThat(OidcRules.subjectMatches(pattern, "system:serviceaccount:payments:api")).isTrue();
        assertThat(OidcRules.subjectMatches(pattern, "system:serviceaccount:payments:batch.worker")).isTrue();
        assertThat(OidcRules.subjectMatches(pattern, "system:serviceaccount:payments-staging:api")).isFalse();
        assertThat(OidcRules.subjectMatches(pattern, "system:serviceaccount:payments:")).isFalse();
        assertThat(OidcRules.subjectMatches(pattern, "system:serviceaccount:payments:api:extra")).isFalse();
        assertThat(OidcRules.subjectMatches(pattern, "system:serviceaccount:payments:*")).as("a literal star is not a name").isFalse();
        assertThat(OidcRules.subjectMatches(pattern, "system:node:payments")).isFalse();

        String exact = "system:serviceaccount:payments:api";
        assertThat(OidcRules.subjectMatches(exact, exact)).isTrue();
        assertThat(OidcRules.subjectMatches(exact, exact + "2")).isFalse();
        assertThat(OidcRules.subjectMatches(exact, "system:serviceaccount:payments:ap")).isFalse();
        assertThat(OidcRules.namespaceOf(exact)).isEqualTo("payments");
        assertThat(OidcRules.namespaceOf("system:node:x")).isNull();
    }
}
