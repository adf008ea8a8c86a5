package dev.ekvault.server.share;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The share token's shape and the content key's inputs: the token, the password, the row. */
class ShareCryptoTest {
    private static final byte[] CONTENT = "the content".getBytes(StandardCharsets.UTF_8);

    @Test
    void tokensHaveOneShapeAndOneSpelling() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            String token = ShareCrypto.newToken();
            assertThat(token).matches("ek_share_[A-Za-z0-9_-]{43}");
            assertThat(ShareCrypto.isWellFormed(token)).isTrue();
            assertThat(seen.add(token)).isTrue();
        }
        String token = ShareCrypto.newToken();
        String body = token.substring(0, token.length() - 1);
        // the last character carries two zero bits: 'B' decodes to the same bytes as 'A' in a lax decoder, and is refused
        assertThat(ShareCrypto.isWellFormed(body + "A")).isTrue();
        assertThat(ShareCrypto.isWellFormed(body + "B")).isFalse();
        assertThat(ShareCrypto.isWellFormed(token + "A")).isFalse();
        assertThat(ShareCrypto.isWellFormed("ek_live_" + token.substring(9))).isFalse();
        assertThat(ShareCrypto.isWellFormed(token.replace('_', '/'))).isFalse();
        assertThat(ShareCrypto.isWellFormed(null)).isFalse();
        assertThat(ShareCrypto.hash(token)).hasSize(64).isNotEqualTo(ShareCrypto.hash(ShareCrypto.newToken()));
    }

    @Test
    void theContentOpensOnlyWithItsTokenItsPasswordAndOnItsRow() {
        String token = ShareCrypto.newToken();
        byte[] sealed = ShareCrypto.seal(token, null, null, "share-1", "ws", "prj", CONTENT);
        assertThat(ShareCrypto.open(token, null, null, "share-1", "ws", "prj", sealed)).isEqualTo(CONTENT);
        assertThat(ShareCrypto.open(ShareCrypto.newToken(), null, null, "share-1", "ws", "prj", sealed)).isNull();
        assertThat(ShareCrypto.open(token, null, null, "share-2", "ws", "prj", sealed)).isNull();
        assertThat(ShareCrypto.open(token, null, null, "share-1", "ws", "other", sealed)).isNull();

        byte[] salt = ShareCrypto.newSalt();
        byte[] protectedShare = ShareCrypto.seal(token, "pw", salt, "share-3", "ws", "prj", CONTENT);
        assertThat(ShareCrypto.open(token, "pw", salt, "share-3", "ws", "prj", protectedShare)).isEqualTo(CONTENT);
        assertThat(ShareCrypto.open(token, "pW", salt, "share-3", "ws", "prj", protectedShare)).isNull();
        assertThat(ShareCrypto.open(token, "pw", ShareCrypto.newSalt(), "share-3", "ws", "prj", protectedShare)).isNull();
        assertThat(ShareCrypto.open(token, null, null, "share-3", "ws", "prj", protectedShare)).as("the token alone").isNull();
    }
}
