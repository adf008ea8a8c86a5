package dev.ekvault.server.sync;

import dev.ekvault.server.crypto.Aad;
import dev.ekvault.server.crypto.Aead;
import dev.ekvault.server.crypto.MasterKey;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Seals what a sync keeps that must not be read at rest: the target's credential and the state of its last push.
 * AES-256-GCM under a key derived from the master key for syncs alone, each blob bound to its sync and purpose. The
 * key is derived through {@link MasterKey} at each use, so a node whose master key was rotated seals under the new one
 * and still opens what the old one sealed until it is re-sealed.
 */
public final class SyncSeal {
    private static final String LABEL = "ek/sync/v1";
    private final MasterKey masterKey;

    SyncSeal(MasterKey masterKey) {
        this.masterKey = masterKey;
    }

    byte[] seal(String syncId, String purpose, byte[] plaintext) {
        return masterKey.sealDerived(LABEL, plaintext, Aad.of("sync-" + purpose, syncId));
    }

    byte[] open(String syncId, String purpose, byte[] ciphertext) {
        return masterKey.openDerived(LABEL, ciphertext, Aad.of("sync-" + purpose, syncId));
    }

    /**
     * Re-seals, inside the caller's transaction, every sync's credential and push state still sealed under {@code from}
     * with {@code to} (a master key rotation, {@code keyrotation/MasterKeyRotation}); returns how many syncs.
     */
    public static int reseal(Connection c, MasterKey from, MasterKey to) throws SQLException {
        SyncStore store = new SyncStore();
        int resealed = 0;
        for (SyncStore.Sealed row : store.sealed(c)) {
            byte[] credential = reseal(row.id(), "credential", row.credential(), from, to);
            byte[] state = reseal(row.id(), "state", row.pushedState(), from, to);
            if (credential == row.credential() && state == row.pushedState()) continue;
            store.updateSealed(c, row, credential, state);
            resealed++;
        }
        return resealed;
    }

    private static byte[] reseal(String syncId, String purpose, byte[] sealed, MasterKey from, MasterKey to) {
        if (sealed == null || Aead.keyId(sealed) != from.id()) return sealed;
        byte[] aad = Aad.of("sync-" + purpose, syncId);
        return to.sealDerived(LABEL, from.openDerived(LABEL, sealed, aad), aad);
    }
}
