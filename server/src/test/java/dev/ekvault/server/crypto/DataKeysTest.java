package dev.ekvault.server.crypto;

import dev.ekvault.server.workspace.EnvironmentStore.EnvironmentRow;
import dev.ekvault.server.workspace.ProjectStore.ProjectRow;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.testing.TestTree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.KeyGenerator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Per-environment data keys wrapped by the master key, the envelope they seal, the AAD that binds a value to its row,
 * and the verifier that detects a wrong master key.
 */
class DataKeysTest {
    private static final byte[] PLAIN = "postgres://db.internal/app".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path folder;
    private TestTree tree;
    private String workspace;
    private EnvironmentRow dev;
    private EnvironmentRow prod;

    @BeforeEach
    void tree() {
        tree = new TestTree(folder);
        workspace = tree.workspace("acme");
        ProjectRow web = tree.project(workspace, tree.team(workspace, "one"), "web");
        dev = tree.environment(web, "dev");
        prod = tree.environment(web, "prod");
    }

    @AfterEach
    void close() {
        tree.close();
    }

    private static byte[] aad(EnvironmentRow env, String secretId, long version, String owner) {
        return Aad.secretValue(env.workspaceId(), env.projectId(), env.id(), secretId, version, owner);
    }

    private byte[] seal(DataKeys keys, EnvironmentRow env, byte[] aad) {
        return tree.database.write(c -> keys.seal(c, env.workspaceId(), env.id(), PLAIN, aad));
    }

    private byte[] open(DataKeys keys, EnvironmentRow env, byte[] ciphertext, byte[] aad) {
        return tree.database.read(c -> keys.open(c, env.workspaceId(), env.id(), ciphertext, aad));
    }

    /** A DataKeys with nothing unwrapped in memory, as after a restart. */
    private DataKeys restarted() {
        return new DataKeys(tree.masterKey, tree.clock);
    }

    private byte[] storedVerifier() {
        return tree.database.read(c -> tree.dataKeys.readVerifier(c));
    }

    private byte[] wrappedKey(EnvironmentRow env) {
        return tree.database.read(c -> new DataKeyStore().find(c, env.id(), null).wrapped());
    }

    /**
     * A bulk create seals its values before it takes the database's writer and writes them only if the sealer it reads
     * under the writer is equal: equal while the environment's newest key is the same, on any node, and not after a
     * rotation, nor for another environment.
     */
    @Test
    void sealersAreEqualExactlyWhileTheyWouldSealWithTheSameKey() {
        DataKeys.Sealer before = tree.database.read(c -> tree.dataKeys.sealer(c, workspace, dev.id()));
        DataKeys.Sealer again = tree.database.write(c -> restarted().sealer(c, workspace, dev.id()));
        assertThat(again).isEqualTo(before).hasSameHashCodeAs(before);
        DataKeys.Sealer otherEnvironment = tree.database.read(c -> tree.dataKeys.sealer(c, workspace, prod.id()));
        assertThat(otherEnvironment).isNotEqualTo(before);
        byte[] aad = aad(dev, "s1", 1, "");
        byte[] sealedBefore = before.seal(PLAIN, aad);
        tree.database.write(c -> tree.dataKeys.rotate(c, workspace, dev.id()));
        DataKeys.Sealer rotated = tree.database.read(c -> tree.dataKeys.sealer(c, workspace, dev.id()));
        assertThat(rotated).isNotEqualTo(before);
        assertThat(Aead.keyId(rotated.seal(PLAIN, aad))).isEqualTo(Aead.keyId(sealedBefore) + 1);
        assertThat(before.toString()).doesNotContain(java.util.HexFormat.of().formatHex(PLAIN));
    }

    @Test
    void aValueSealedForARowOpensForThatRowAlsoAfterARestart() {
        byte[] aad = aad(dev, "s1", 1, "");
        byte[] sealed = seal(tree.dataKeys, dev, aad);
        assertThat(open(tree.dataKeys, dev, sealed, aad)).isEqualTo(PLAIN);
        assertThat(open(restarted(), dev, sealed, aad)).as("the data key is unwrapped again from its row").isEqualTo(PLAIN);
    }

    @Test
    void theEnvelopeIsFormatOneThenTheKeyIdThenARandomNonce() {
        byte[] aad = aad(dev, "s1", 1, "");
        byte[] first = seal(tree.dataKeys, dev, aad);
        byte[] second = seal(tree.dataKeys, dev, aad);
        assertThat(first[0]).isEqualTo(Aead.FORMAT_V1);
        assertThat(ByteBuffer.wrap(first, 1, 4).getInt()).as("an environment's first data key has id 1").isEqualTo(1);
        assertThat(Aead.keyId(first)).isEqualTo(1);
        assertThat(first).hasSize(1 + 4 + 12 + PLAIN.length + 16);
        assertThat(Arrays.copyOfRange(first, 5, 17)).as("a fresh nonce per seal").isNotEqualTo(Arrays.copyOfRange(second, 5, 17));
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void changingAnyByteOfTheEnvelopeIsRefused() {
        byte[] aad = aad(dev, "s1", 1, "");
        byte[] sealed = seal(tree.dataKeys, dev, aad);
        for (int i = 0; i < sealed.length; i++) {
            byte[] tampered = sealed.clone();
            tampered[i] ^= 0x01;
            int at = i;
            assertThatThrownBy(() -> open(tree.dataKeys, dev, tampered, aad)).as("byte %d", at).isInstanceOf(IntegrityException.class);
        }
        assertThatThrownBy(() -> open(tree.dataKeys, dev, Arrays.copyOf(sealed, 20), aad)).isInstanceOf(IntegrityException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void aValueMovedToAnotherRowDoesNotOpen() {
        byte[] sealed = seal(tree.dataKeys, dev, aad(dev, "s1", 3, ""));
        for (byte[] otherRow : new byte[][] {aad(dev, "s2", 3, ""), aad(dev, "s1", 2, ""), aad(dev, "s1", 3, "user-1"),
                Aad.secretValue("other-workspace", dev.projectId(), dev.id(), "s1", 3, ""),
                Aad.secretValue(dev.workspaceId(), "other-project", dev.id(), "s1", 3, "")}) {
            assertThatThrownBy(() -> open(tree.dataKeys, dev, sealed, otherRow)).isInstanceOf(IntegrityException.class);
        }
    }

    @Test
    void eachEnvironmentHasItsOwnKeySoAValueMovedToAnotherEnvironmentDoesNotOpen() {
        assertThat(wrappedKey(dev)).isNotEqualTo(wrappedKey(prod));
        byte[] aad = aad(dev, "s1", 1, "");
        byte[] sealed = seal(tree.dataKeys, dev, aad);
        // even with the AAD left as it was, prod's key (also id 1) does not open dev's value
        assertThatThrownBy(() -> open(tree.dataKeys, prod, sealed, aad)).isInstanceOf(IntegrityException.class);
        assertThatThrownBy(() -> open(restarted(), prod, sealed, aad(prod, "s1", 1, ""))).isInstanceOf(IntegrityException.class);
    }

    @Test
    void aWrappedDataKeyCopiedToAnotherEnvironmentsRowDoesNotUnwrap() {
        byte[] devKey = wrappedKey(dev);
        tree.database.write(c -> Sql.update(c, "UPDATE data_key SET wrapped = ? WHERE environment_id = ?", devKey, prod.id()));
        assertThatThrownBy(() -> seal(restarted(), prod, aad(prod, "s1", 1, ""))).isInstanceOf(IntegrityException.class);
    }

    @Test
    void aDataKeyWrappedUnderOneMasterKeyDoesNotOpenUnderAnother() {
        byte[] aad = aad(dev, "s1", 1, "");
        byte[] sealed = seal(tree.dataKeys, dev, aad);
        DataKeys otherMaster = new DataKeys(MasterKey.fromBase64(MasterKey.generateBase64()), tree.clock);
        assertThatThrownBy(() -> open(otherMaster, dev, sealed, aad)).isInstanceOf(IntegrityException.class);
    }

    @Test
    void newValuesAreSealedWithTheNewestKeyAndOlderValuesStillOpenByTheirKeyId() throws Exception {
        byte[] aad = aad(dev, "s1", 1, "");
        byte[] underKeyOne = seal(tree.dataKeys, dev, aad);
        KeyGenerator generator = KeyGenerator.getInstance("AES");
        generator.init(256);
        byte[] raw = generator.generateKey().getEncoded();
        tree.database.write(c -> {
            new DataKeyStore().insert(c, dev.id(), 2, tree.masterKey.idHex(),
                    Aead.seal(tree.masterKey.secretKey(), tree.masterKey.id(), raw, Aad.dataKey(workspace, dev.id(), 2)), tree.clock.millis());
            return null;
        });
        DataKeys keys = restarted();
        byte[] underKeyTwo = seal(keys, dev, aad);
        assertThat(Aead.keyId(underKeyTwo)).isEqualTo(2);
        assertThat(open(keys, dev, underKeyTwo, aad)).isEqualTo(PLAIN);
        assertThat(open(keys, dev, underKeyOne, aad)).isEqualTo(PLAIN);

        byte[] unknownKey = underKeyOne.clone();
        ByteBuffer.wrap(unknownKey).putInt(1, 7);
        assertThatThrownBy(() -> open(keys, dev, unknownKey, aad)).isInstanceOf(IntegrityException.class).hasMessageContaining("no data key 7");
    }

    @Test
    void anEnvironmentWithoutADataKeyCannotSeal() {
        EnvironmentRow bare = new EnvironmentRow("no-such-environment", workspace, dev.projectId(), dev.teamId(), "bare", false, 0);
        assertThatThrownBy(() -> seal(restarted(), bare, aad(bare, "s1", 1, ""))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no data key");
    }

    @Test
    void openLoadedNeedsTheKeyLoadedFirstAndThenReadsNothing() {
        byte[] aad = aad(dev, "s1", 1, "");
        byte[] sealed = seal(tree.dataKeys, dev, aad);
        DataKeys keys = restarted();
        assertThat(keys.openLoaded(dev.id(), sealed, aad)).as("nothing unwrapped yet").isNull();
        tree.database.read(c -> {
            keys.load(c, workspace, dev.id(), sealed);
            return null;
        });
        assertThat(keys.openLoaded(dev.id(), sealed, aad)).isEqualTo(PLAIN);
        assertThatThrownBy(() -> keys.openLoaded(dev.id(), sealed, aad(dev, "s2", 1, ""))).isInstanceOf(IntegrityException.class);
    }

    @Test
    void theVerifierIsRecordedOnceAndAcceptsTheSameMasterKey() {
        byte[] recorded = storedVerifier();
        assertThat(recorded).as("TestTree verified its fresh database, which records the verifier").isNotNull();
        assertThat(Aead.keyId(recorded)).isEqualTo(tree.masterKey.id());
        restarted().verifyMasterKey(tree.database);
        restarted().checkVerifier(recorded);
        restarted().checkVerifier(null); // a database with none yet
        assertThat(storedVerifier()).as("not rewritten").isEqualTo(recorded);
        String keyId = tree.database.read(c -> Sql.one(c, "SELECT key_id FROM master_key_check WHERE id = 1", r -> r.getString(1)));
        assertThat(keyId).isEqualTo(tree.masterKey.idHex());
    }

    @Test
    void aWrongMasterKeyIsDetectedByTheVerifierNamingBothKeyIdsAndChangesNothing() {
        byte[] before = storedVerifier();
        MasterKey wrong = MasterKey.fromBase64(MasterKey.generateBase64());
        DataKeys keys = new DataKeys(wrong, tree.clock);
        assertThatThrownBy(() -> keys.verifyMasterKey(tree.database)).isInstanceOf(WrongMasterKeyException.class)
                .hasMessageContaining(wrong.idHex()).hasMessageContaining(tree.masterKey.idHex()).hasMessageContaining("nothing was changed");
        assertThatThrownBy(() -> keys.checkVerifier(before)).isInstanceOf(WrongMasterKeyException.class);
        assertThat(storedVerifier()).isEqualTo(before);
    }

    @Test
    void theVerifierIsBoundToItsPurpose() {
        // a ciphertext the master key sealed for another purpose (a wrapped data key) is no verifier
        byte[] wrapped = wrappedKey(dev);
        assertThatThrownBy(() -> tree.dataKeys.checkVerifier(wrapped)).isInstanceOf(WrongMasterKeyException.class);
    }
}
