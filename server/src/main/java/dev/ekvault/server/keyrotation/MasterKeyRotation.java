package dev.ekvault.server.keyrotation;

import dev.ekvault.server.crypto.DataKeys;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.jwt.SigningKeys;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.sync.SyncSeal;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Rotating the master key ({@code ek-server rotate-master-key --new-key-file=…}): in one transaction, everything sealed
 * directly under the master key or a key derived from it is sealed again under the new one — every environment's data
 * key (re-wrapped: the data keys, and so the values, do not change), the JWT signing keys, the syncs' credentials and
 * push state — and the verifier is replaced, which is what refuses the old key from then on. The sign-in state cookie
 * of SSO (minutes long, sealed under a key derived from the master key) is not stored: a sign-in in flight restarts.
 * Running nodes switch on their own ({@link MasterKeyFollower}).
 */
public final class MasterKeyRotation {
    /** What one rotation (or a node's sweep) sealed again. */
    public record Resealed(int dataKeys, int signingKeys, int syncs) {
        int total() {
            return dataKeys + signingKeys + syncs;
        }
    }

    private MasterKeyRotation() {}

    /**
     * Rotates from {@code current} (the key the database is sealed with: the caller opened it with this key) to
     * {@code next}, in one transaction, journalled as {@code rotate master-key}. A rotation interrupted before its
     * commit changed nothing; run it again.
     */
    public static Resealed rotate(Database database, MasterKey current, MasterKey next) {
        if (current.id() == next.id()) {
            throw new IllegalArgumentException("the new master key is the current one (id " + current.idHex() + "); give a new key");
        }
        return database.write(c -> {
            Resealed resealed = reseal(c, current, next, true);
            Journal.changed(c, Journal.Change.of("rotate", "master-key", "", next.idHex())
                    .before(Journal.fields("masterKeyId", current.idHex()))
                    .after(Journal.fields("masterKeyId", next.idHex(), "dataKeys", resealed.dataKeys(), "signingKeys",
                            resealed.signingKeys(), "syncs", resealed.syncs())));
            return resealed;
        });
    }

    /**
     * Seals again under {@code to} whatever is still sealed under {@code from}; rows already under {@code to} are left
     * alone, so it can run again (a node's sweep after it switched keys). {@code newVerifier}: the rotation itself.
     */
    static Resealed reseal(Connection c, MasterKey from, MasterKey to, boolean newVerifier) throws SQLException {
        return new Resealed(DataKeys.rewrap(c, from, to, newVerifier), SigningKeys.reseal(c, from, to), SyncSeal.reseal(c, from, to));
    }
}
