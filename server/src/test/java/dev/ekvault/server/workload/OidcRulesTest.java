package dev.ekvault.server.workload;

import dev.ekvault.server.wire.ApiException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The field rules of an identity and how its subject pattern matches a token's sub. */
class OidcRulesTest {
    @Test
    void issuersAreHttpsUnlessHttpIsAllowedAndKeptExactlyAsWritten() {
        assertThatThrownBy(() -> WorkloadIdentityRules.issuer("http://127.0.0.1:8443", false))
                .isInstanceOf(ApiException.class).hasMessageContaining("'issuer'").hasMessageContaining("https");
        assertThat(WorkloadIdentityRules.issuer("http://127.0.0.1:8443", true)).isEqualTo("http://127.0.0.1:8443");
        assertThat(WorkloadIdentityRules.issuer("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC/", false))
                .as("a trailing slash is part of the issuer").isEqualTo("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC/");
        assertThat(WorkloadIdentityRules.issuer("https://kubernetes.default.svc.cluster.local", false)).isEqualTo("https://kubernetes.default.svc.cluster.local");
        assertThatThrownBy(() -> WorkloadIdentityRules.issuer("kubernetes/serviceaccount", true)).hasMessageContaining("'issuer'");
    }

    @Test
    void subjectsAreServiceAccountsOrAWholeNamespace() {
        String namespace63 = "n".repeat(63);
        assertThat(WorkloadIdentityRules.subject("system:serviceaccount:" + namespace63 + ":api")).isNotNull();
        assertThatThrownBy(() -> WorkloadIdentityRules.subject("system:serviceaccount:" + namespace63 + "n:api")).hasMessageContaining("'subject'");
        assertThat(WorkloadIdentityRules.subject("system:serviceaccount:ns:" + "a".repeat(253))).isNotNull();
        assertThatThrownBy(() -> WorkloadIdentityRules.subject("system:serviceaccount:ns:" + "a".repeat(254))).hasMessageContaining("'subject'");
        assertThat(WorkloadIdentityRules.subject("system:serviceaccount:team-a:build.bot")).isNotNull();
        assertThat(WorkloadIdentityRules.subject("system:serviceaccount:team-a:*")).isNotNull();
        assertThatThrownBy(() -> WorkloadIdentityRules.subject("system:serviceaccount:-ns:api")).hasMessageContaining("'subject'");
    }

    @Test
    void aWildcardCoversEveryServiceAccountOfItsNamespaceAndNothingElse() {
        String pattern = "system:serviceaccount:payments:*";
        assertThat(WorkloadIdentityRules.subjectMatches(pattern, "system:serviceaccount:payments:api")).isTrue();
        assertThat(WorkloadIdentityRules.subjectMatches(pattern, "system:serviceaccount:payments:batch.worker")).isTrue();
        assertThat(WorkloadIdentityRules.subjectMatches(pattern, "system:serviceaccount:payments-staging:api")).isFalse();
        assertThat(WorkloadIdentityRules.subjectMatches(pattern, "system:serviceaccount:payments:")).isFalse();
        assertThat(WorkloadIdentityRules.subjectMatches(pattern, "system:serviceaccount:payments:api:extra")).isFalse();
        assertThat(WorkloadIdentityRules.subjectMatches(pattern, "system:serviceaccount:payments:*")).as("a literal star is not a name").isFalse();
        assertThat(WorkloadIdentityRules.subjectMatches(pattern, "system:node:payments")).isFalse();

        String exact = "system:serviceaccount:payments:api";
        assertThat(WorkloadIdentityRules.subjectMatches(exact, exact)).isTrue();
        assertThat(WorkloadIdentityRules.subjectMatches(exact, exact + "2")).isFalse();
        assertThat(WorkloadIdentityRules.subjectMatches(exact, "system:serviceaccount:payments:ap")).isFalse();
        assertThat(WorkloadIdentityRules.namespaceOf(exact)).isEqualTo("payments");
        assertThat(WorkloadIdentityRules.namespaceOf("system:node:x")).isNull();
    }
}
