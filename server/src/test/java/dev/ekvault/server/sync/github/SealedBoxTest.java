package dev.ekvault.server.sync.github;

import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server's sealed box against published vectors (NaCl's crypto_box vector, as PyNaCl's tests carry it, and
 * PyNaCl's generated crypto_box_seal reference) and round trips through the test's independent open.
 */
class SealedBoxTest {
    private static final HexFormat HEX = HexFormat.of();
    // NaCl's box test: Alice's and Bob's keys, its nonce and its 131-byte message
    private static final String ALICE_SK = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private static final String ALICE_PK = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private static final String BOB_SK = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private static final String BOB_PK = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private static final String NONCE = "69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37";
    private static final String MESSAGE = "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5e"
            + "cbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb310e3be8"
            + "250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb4"
            + "8f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705";
    private static final String BOXED = "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce483"
            + "32ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c97271d2c2"
            + "0f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae902243685"
            + "17acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d"
            + "14a6599b1f654cb45a74e355a5";
    // PyNaCl's sealed_box_ref.txt: sealed for Alice's key by libsodium
    private static final String SEALED = "199c808806a62c1be56951023ad3396b0ce0ef2c5b9ca688ac96d2d06ca43f65d314400cc9bbefb23dd26f824c9cb553f81e8c894ea9a5"
            + "53f4d777c77b66d5a6925da3f5961c5f7147172db5597ac14210066ee3ee13e6230a9a9610e9cddbf24094f54fbbf6694c08a436cec39ff5a373656d9584"
            + "f4df9dd8c817e2e597540628d0ee21a6524a3fcf3eabdc0968390bd260a47366ead7f71cc2e774d411d96f3497c7e10291937bc16dc46a111686b85a8c86";

    @Test
    void cryptoBoxMatchesNaClsVector() {
        byte[] boxed = SealedBox.box(HEX.parseHex(MESSAGE), HEX.parseHex(NONCE), HEX.parseHex(ALICE_PK), HEX.parseHex(BOB_SK));
        assertThat(HEX.formatHex(boxed)).isEqualTo(BOXED);
        assertThat(SodiumOpen.boxOpen(boxed, HEX.parseHex(NONCE), HEX.parseHex(BOB_PK), HEX.parseHex(ALICE_SK)))
                .as("the test's own open agrees").isEqualTo(HEX.parseHex(MESSAGE));
    }

    @Test
    void theIndependentOpenOpensLibsodiumsSealedBox() {
        assertThat(SodiumOpen.sealOpen(HEX.parseHex(SEALED), HEX.parseHex(ALICE_PK), HEX.parseHex(ALICE_SK))).isEqualTo(HEX.parseHex(MESSAGE));
        byte[] tampered = HEX.parseHex(SEALED);
        tampered[60] ^= 1;
        assertThat(SodiumOpen.sealOpen(tampered, HEX.parseHex(ALICE_PK), HEX.parseHex(ALICE_SK))).isNull();
    }

    @Test
    void sealedBoxesRoundTripAndDifferEachTime() {
        X25519PrivateKeyParameters recipient = new X25519PrivateKeyParameters(new SecureRandom());
        byte[] pk = recipient.generatePublicKey().getEncoded();
        for (String message : new String[] {"", "x", "postgres://user:pässword@db/app", "y".repeat(5000)}) {
            byte[] plain = message.getBytes(StandardCharsets.UTF_8);
            byte[] sealed = SealedBox.seal(plain, pk);
            assertThat(sealed).hasSize(plain.length + SealedBox.SEAL_BYTES);
            assertThat(SodiumOpen.sealOpen(sealed, pk, recipient.getEncoded())).isEqualTo(plain);
            assertThat(SealedBox.seal(plain, pk)).as("a fresh ephemeral key each time").isNotEqualTo(sealed);
        }
        X25519PrivateKeyParameters other = new X25519PrivateKeyParameters(new SecureRandom());
        assertThat(SodiumOpen.sealOpen(SealedBox.seal(new byte[] {1}, pk), other.generatePublicKey().getEncoded(), other.getEncoded()))
                .as("only the recipient opens it").isNull();
    }

    @Test
    void hsalsaAgreesWithTheSalsaCoreRoute() {
        byte[] key = HEX.parseHex(ALICE_SK);
        byte[] in = HEX.parseHex(NONCE.substring(0, 32));
        assertThat(SealedBox.hsalsa20(key, in)).isEqualTo(SodiumOpen.hsalsa(key, in));
    }
}
