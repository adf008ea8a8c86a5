package dev.ekvault.server.sync;

import dev.ekvault.server.crypto.Aad;
import dev.ekvault.server.crypto.Aead;
import dev.ekvault.server.crypto.MasterKey;

import javax.crypto.SecretKey;

/**
 * Seals what a sync keeps that must not be read at rest: the target's credential and the state of its last push.
 * AES-256-GCM under a key derived from the master key for syncs alone, each blob bound to its sync and purpose.
 */
final class SyncSeal {
    private final SecretKey key;
    private final int keyId;

    SyncSeal(MasterKey masterKey) {
        this.key = masterKey.derive("ek/sync/v1");
        this.keyId = masterKey.id();
    }

    byte[] seal(String syncId, String purpose, byte[] plaintext) {
        return Aead.seal(key, keyId, plaintext, Aad.of("sync-" + purpose, syncId));
    }

    byte[] open(String syncId, String purpose, byte[] ciphertext) {
        return Aead.open(key, ciphertext, Aad.of("sync-" + purpose, syncId));
    }
}
