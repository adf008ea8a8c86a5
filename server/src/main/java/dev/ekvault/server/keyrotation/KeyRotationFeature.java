package dev.ekvault.server.keyrotation;

import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.secret.SecretFeature;

import java.time.Duration;

/**
 * Key rotation on a serving node: the job that re-encrypts an environment's values after its data key was rotated and
 * retires the old key ({@link DataKeyRotation}), and the job that follows a master key rotation ({@link MasterKeyFollower}).
 * The rotation of a data key is an environment route ({@code workspace/EnvironmentRoutes}); the master key's is the
 * {@code rotate-master-key} command ({@link MasterKeyRotation}).
 */
public final class KeyRotationFeature {
    /** Job names ({@code Jobs.runNow} runs them in tests). */
    public static final String DATA_KEY_JOB = "data key re-encryption";
    public static final String MASTER_KEY_JOB = "master key follower";

    private KeyRotationFeature() {}

    public static void install(Platform p, SecretFeature secrets) {
        DataKeyRotation dataKeys = new DataKeyRotation(p.database(), p.dataKeys(), secrets.store());
        p.jobs().every(DATA_KEY_JOB, Duration.ofSeconds(5), dataKeys::run);
        MasterKeyFollower follower = new MasterKeyFollower(p.config(), p.database(), p.masterKey(), p.dataKeys(), p.clock());
        p.jobs().every(MASTER_KEY_JOB, Duration.ofSeconds(1), follower::run);
    }
}
