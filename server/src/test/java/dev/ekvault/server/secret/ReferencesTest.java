package dev.ekvault.server.secret;

import dev.ekvault.api.ErrorCode;
import dev.ekvault.server.wire.ApiException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code ${KEY}} and {@code ${env-name.KEY}} expansion: what it resolves, what it refuses, and the length cap. */
class ReferencesTest {
    private static final int CAP = 1_000;

    /** Two environments: {@code dev} (id d) and {@code prod} (id p); values are added per test. */
    private final Map<String, References.EnvironmentValues> environments = new LinkedHashMap<>();
    private final References.EnvironmentValues dev = environment("d", "dev");
    private final References.EnvironmentValues prod = environment("p", "prod");

    private References.EnvironmentValues environment(String id, String name) {
        References.EnvironmentValues values = new References.EnvironmentValues(name, new HashMap<>(), new HashMap<>());
        environments.put(id, values);
        return values;
    }

    /** The shared value of {@code key} in dev, expanded as a deployment sees it. */
    private String expandShared(String key) {
        return references(CAP).expand("d", key, false, dev.shared().get(key));
    }

    private References references(int cap) {
        return new References(environments, cap);
    }

    private static void assertBadRequest(Runnable expansion, String... messageParts) {
        assertThatThrownBy(expansion::run).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.code).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(e.getMessage()).contains(messageParts);
        });
    }

    @Test
    void aReferenceToAKeyOfTheSameEnvironmentIsReplacedByItsValue() {
        dev.shared().put("HOST", "db.internal");
        dev.shared().put("URL", "postgres://${HOST}:5432/${HOST}");
        assertThat(expandShared("URL")).isEqualTo("postgres://db.internal:5432/db.internal");
    }

    @Test
    void aReferenceNamingAnotherEnvironmentTakesThatEnvironmentsValue() {
        dev.shared().put("HOST", "dev-db");
        prod.shared().put("HOST", "prod-db");
        dev.shared().put("BOTH", "${HOST}|${prod.HOST}|${dev.HOST}");
        assertThat(expandShared("BOTH")).isEqualTo("dev-db|prod-db|dev-db");
    }

    @Test
    void environmentNamesWithSpacesAndDashesCanBeNamed() {
        References.EnvironmentValues staging = environment("s", "eu staging-2");
        staging.shared().put("KEY", "s-value");
        dev.shared().put("REF", "<${eu staging-2.KEY}>");
        assertThat(expandShared("REF")).isEqualTo("<s-value>");
    }

    @Test
    void referencesAreFollowedThroughChainsAcrossEnvironments() {
        dev.shared().put("A", "a(${prod.B})");
        prod.shared().put("B", "b(${C})"); // C of prod: a reference is relative to the environment holding it
        prod.shared().put("C", "prod-c");
        dev.shared().put("C", "dev-c");
        assertThat(expandShared("A")).isEqualTo("a(b(prod-c))");
    }

    @Test
    void textThatIsNotAReferenceIsLeftAsWritten() {
        // there is no escape syntax: only ${KEY} and ${env.KEY} with their allowed characters are references
        String literal = "$HOST ${} ${not valid!} ${a.b.c} ${.KEY} ${ KEY} ${open cost: $5";
        dev.shared().put("LITERAL", literal);
        assertThat(expandShared("LITERAL")).isEqualTo(literal);
        assertThat(References.mayContainReference("plain $HOST")).isFalse();
        assertThat(References.mayContainReference("a ${B}")).isTrue();
    }

    @Test
    void aMissingKeyIsA400NamingTheSecretAndTheReferenceNeverALiteral() {
        dev.shared().put("BROKEN", "x${NOPE}y");
        assertBadRequest(() -> expandShared("BROKEN"), "secret 'dev.BROKEN'", "'${NOPE}'", "does not exist or is not visible");
    }

    @Test
    void aMissingKeyDeepInAChainNamesTheValueThatHoldsTheBrokenReference() {
        dev.shared().put("TOP", "${MIDDLE}");
        dev.shared().put("MIDDLE", "${prod.GONE}");
        assertBadRequest(() -> expandShared("TOP"), "secret 'dev.MIDDLE' references '${prod.GONE}'");
    }

    @Test
    void anEnvironmentThatIsUnknownOrNotVisibleIsRefusedLikeAMissingKey() {
        // the map holds only the environments the caller can see: a hidden one is indistinguishable from none
        dev.shared().put("HIDDEN", "${secret-env.KEY}");
        assertBadRequest(() -> expandShared("HIDDEN"), "secret 'dev.HIDDEN'", "'${secret-env.KEY}'", "does not exist or is not visible");
    }

    @Test
    void aSelfReferenceIsACycle() {
        dev.shared().put("SELF", "again ${SELF}");
        assertBadRequest(() -> expandShared("SELF"), "secret 'dev.SELF' has a reference cycle: dev.SELF -> dev.SELF");
    }

    @Test
    void aCycleAcrossEnvironmentsIsA400NamingTheSecretAndThePath() {
        dev.shared().put("A", "${prod.B}");
        prod.shared().put("B", "${dev.C}");
        dev.shared().put("C", "${A}");
        assertBadRequest(() -> expandShared("A"), "secret 'dev.A' has a reference cycle: dev.A -> prod.B -> dev.C -> dev.A");
    }

    @Test
    void aValueReachedTwiceWithoutACycleIsNotMistakenForOne() {
        dev.shared().put("LEAF", "l");
        dev.shared().put("MID", "${LEAF}${LEAF}");
        dev.shared().put("TOP", "${MID}-${LEAF}-${MID}");
        assertThat(expandShared("TOP")).isEqualTo("ll-l-ll");
    }

    @Test
    void aSharedValueExpandsAgainstSharedValuesOnlyAndAPersonalOneAgainstThePersonsOverridesFirst() {
        dev.shared().put("HOST", "shared-host");
        dev.personal().put("HOST", "my-laptop");
        dev.shared().put("URL", "http://${HOST}");
        dev.personal().put("URL", "https://${HOST}/${prod.PORT}");
        prod.shared().put("PORT", "443");
        References references = references(CAP);
        assertThat(references.expand("d", "URL", true, dev.personal().get("URL")))
                .as("the person's override of HOST first; prod has no override of PORT, so its shared value").isEqualTo("https://my-laptop/443");
        assertThat(references.expand("d", "URL", false, dev.shared().get("URL")))
                .as("the same instance after the personal view: what that view remembered does not leak into the shared one")
                .isEqualTo("http://shared-host");
    }

    @Test
    void anExpansionLongerThanTheCapIsA400NamingTheSecret() {
        dev.shared().put("L0", "x".repeat(100));
        for (int i = 1; i <= 30; i++) dev.shared().put("L" + i, "${L" + (i - 1) + "}${L" + (i - 1) + "}");
        // 2^30 copies if it were expanded: the cap stops it long before, and each level is expanded only once
        assertBadRequest(() -> expandShared("L30"), "secret 'dev.L30' expands to more than " + CAP + " characters");
    }

    /** Each value under its own cap, but together past the answer's bound: the answer is a 400 naming the bound. */
    @Test
    void theWholeAnswerIsBoundedNotOnlyEachValue() {
        int valueCap = 1024 * 1024;
        dev.shared().put("BIG", "b".repeat(valueCap / 2));
        References references = references(valueCap);
        long added = 0;
        int expanded = 0;
        String reference = "${BIG}${BIG}";
        while (added + valueCap - reference.length() <= References.MAX_ADDED_CHARACTERS) {
            assertThat(references.expand("d", "COPY" + expanded, false, reference)).hasSize(valueCap);
            added += valueCap - reference.length();
            expanded++;
        }
        assertThat(expanded).as("several values, each at its cap, fit").isGreaterThan(1);
        int next = expanded;
        assertBadRequest(() -> references.expand("d", "COPY" + next, false, reference),
                "with resolve=true this answer would grow by more than " + References.MAX_ADDED_CHARACTERS + " characters");
        assertThat(references(valueCap).expand("d", "COPY0", false, reference)).as("a new answer starts its own count").hasSize(valueCap);
    }

    @Test
    void anExpansionOfExactlyTheCapIsAllowed() {
        dev.shared().put("HALF", "y".repeat(CAP / 2));
        dev.shared().put("FULL", "${HALF}${HALF}");
        assertThat(expandShared("FULL")).hasSize(CAP);
    }

    @Test
    void literalTextAfterTheLastReferenceCountsTowardsTheCap() {
        dev.shared().put("HALF", "y".repeat(CAP / 2));
        dev.shared().put("OVER", "${HALF}" + "z".repeat(CAP));
        assertBadRequest(() -> expandShared("OVER"), "expands to more than " + CAP + " characters");
    }
}
