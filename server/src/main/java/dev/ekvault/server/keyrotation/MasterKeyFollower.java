package dev.ekvault.server.keyrotation;

import dev.ekvault.server.config.Config;
import dev.ekvault.server.crypto.Aead;
import dev.ekvault.server.crypto.DataKeys;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.crypto.MasterKeyFile;
import dev.ekvault.server.store.Database;

import java.time.Clock;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * How a running node follows a master key rotation made by {@code rotate-master-key} (on any machine): every second it
 * reads the database's verifier (one row); when the verifier names another key than the node's, it reads its key
 * sources again — its configured key (a replaced {@code master-key-file}, or the data folder's {@code master.key} the
 * command replaced) and {@code master-key-next-file} — and switches to the one that opens the verifier. For
 * {@link #KEEP_PREVIOUS} after the switch it still opens what the old key sealed, and re-seals under the new key
 * anything a node that had not switched yet sealed under the old one; then it forgets the old key. A node that cannot
 * find the new key says so (one line a minute) and refuses to wrap new data keys under the old one.
 */
final class MasterKeyFollower {
    private static final Logger LOG = Logger.getLogger(MasterKeyFollower.class.getName());
    static final Duration KEEP_PREVIOUS = Duration.ofMinutes(1);
    private static final long COMPLAIN_EVERY = Duration.ofMinutes(1).toMillis();

    private final Config config;
    private final Database database;
    private final MasterKey masterKey;
    private final DataKeys dataKeys;
    private final Clock clock;
    private long switchedAt;
    private long complainedAt = Long.MIN_VALUE;

    MasterKeyFollower(Config config, Database database, MasterKey masterKey, DataKeys dataKeys, Clock clock) {
        this.config = config;
        this.database = database;
        this.masterKey = masterKey;
        this.dataKeys = dataKeys;
        this.clock = clock;
    }

    /** One turn of the job (runs on the one maintenance thread). */
    void run() {
        byte[] verifier = database.read(dataKeys::readVerifier);
        if (verifier != null && Aead.keyId(verifier) != masterKey.id()) follow(verifier);
        MasterKey previous = masterKey.previous();
        if (previous == null) return;
        MasterKeyRotation.Resealed swept = database.write(c -> MasterKeyRotation.reseal(c, previous, masterKey, false));
        if (swept.total() > 0) {
            LOG.info("master key rotation: re-sealed what was still under the old key " + previous.idHex() + " (" + swept + ")");
        }
        if (clock.millis() - switchedAt >= KEEP_PREVIOUS.toMillis()) {
            masterKey.forgetPrevious();
            LOG.info("master key rotation: this node no longer opens anything with the old key " + previous.idHex());
        }
    }

    private void follow(byte[] verifier) {
        int wanted = Aead.keyId(verifier);
        for (MasterKey candidate : MasterKeyFile.candidates(config)) {
            if (candidate.id() == wanted && DataKeys.opens(candidate, verifier)) {
                String old = masterKey.idHex();
                masterKey.switchTo(candidate);
                switchedAt = clock.millis();
                LOG.warning("the master key was rotated: this node now seals with " + candidate.idHex() + " (was " + old + ")");
                return;
            }
        }
        long now = clock.millis();
        if (complainedAt == Long.MIN_VALUE || now - complainedAt >= COMPLAIN_EVERY) {
            complainedAt = now;
            LOG.severe("the master key was rotated to " + MasterKey.hex(wanted) + " but this node only has " + masterKey.idHex()
                    + ": put the new key in master-key-next-file (or master-key-file); until then data keys it has not opened yet "
                    + "cannot be read here");
        }
    }
}
