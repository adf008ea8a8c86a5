package bench;

import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The signing bound: Ed25519 signatures per second with the server's own library (Bouncy Castle's Ed25519Signer) over
 * an input the size of an access token's, one thread per core, after a warm-up. Prints {@code SIGN <per second>}, and
 * the same for verifications ({@code VERIFY}), the cost of a forged token that passes every cheaper check.
 * {@code java bench.SignBound <seconds>}.
 */
public final class SignBound {
    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        int threads = Runtime.getRuntime().availableProcessors();
        Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(new SecureRandom());
        byte[] input = ("eyJhbGciOiJFZERTQSIsImtpZCI6IjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmIiwidHlwIjoiSldUIn0."
                + "x".repeat(300)).getBytes(StandardCharsets.US_ASCII);
        run(key, input, threads, 2, false); // warm-up
        System.out.printf("SIGN %.0f%n", run(key, input, threads, seconds, false));
        run(key, input, threads, 1, true);
        System.out.printf("VERIFY %.0f%n", run(key, input, threads, seconds / 2, true));
    }

    private static double run(Ed25519PrivateKeyParameters key, byte[] input, int threads, double seconds, boolean verify)
            throws InterruptedException {
        Ed25519Signer once = new Ed25519Signer();
        once.init(true, key);
        once.update(input, 0, input.length);
        byte[] signature = once.generateSignature();
        var publicKey = key.generatePublicKey();
        LongAdder count = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                Ed25519Signer signer = new Ed25519Signer();
                while (!stop.get()) {
                    if (verify) {
                        signer.init(false, publicKey);
                        signer.update(input, 0, input.length);
                        if (!signer.verifySignature(signature)) throw new IllegalStateException("verification failed");
                    } else {
                        signer.init(true, key);
                        signer.update(input, 0, input.length);
                        signer.generateSignature();
                    }
                    count.increment();
                }
            }));
        }
        long start = System.nanoTime();
        Thread.sleep((long) (seconds * 1000));
        stop.set(true);
        for (Thread w : workers) w.join();
        return count.sum() / ((System.nanoTime() - start) / 1e9);
    }
}
