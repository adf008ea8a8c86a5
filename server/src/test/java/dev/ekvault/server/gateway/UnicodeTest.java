package dev.ekvault.server.gateway;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The UTF-8 check agrees with the JDK's strict decoder, byte for byte, and the surrogate check with the rules. */
class UnicodeTest {
    private static boolean jdkAccepts(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void everyShortSequenceIsJudgedAsTheJdkJudgesIt() {
        // every 1- and 2-byte sequence, and 3-byte ones led by the bytes where the rules have edges
        for (int a = 0; a < 256; a++) {
            check(new byte[]{(byte) a});
            for (int b = 0; b < 256; b++) {
                check(new byte[]{(byte) a, (byte) b});
                if (a >= 0xE0) for (int c : new int[]{0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF}) {
                    check(new byte[]{(byte) a, (byte) b, (byte) c});
                    check(new byte[]{(byte) a, (byte) b, (byte) c, (byte) 0x80});
                }
            }
        }
    }

    @Test
    void randomTextAndRandomBytesAreJudgedAsTheJdkJudgesThem() {
        SplittableRandom random = new SplittableRandom(10);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder text = new StringBuilder();
            for (int k = random.nextInt(12); k > 0; k--) text.appendCodePoint(random.nextInt(0x11_0000));
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            check(bytes);
            if (bytes.length > 0) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                check(bytes);
            }
        }
    }

    private static void check(byte[] bytes) {
        assertThat(Unicode.firstInvalidUtf8(bytes, bytes.length) < 0).as("%s", java.util.HexFormat.of().formatHex(bytes))
                .isEqualTo(jdkAccepts(bytes));
    }

    @Test
    void onlyPairedSurrogatesAreWellFormed() {
        assertThat(Unicode.isWellFormed("plain é € \uD83D\uDD11")).isTrue();
        assertThat(Unicode.isWellFormed("")).isTrue();
        assertThat(Unicode.isWellFormed("\uD800")).isFalse();
        assertThat(Unicode.isWellFormed("\uDC00")).isFalse();
        assertThat(Unicode.isWellFormed("a\uD83D")).isFalse();
        assertThat(Unicode.isWellFormed("\uD83Da")).isFalse();
        assertThat(Unicode.isWellFormed("\uDD11\uD83D")).isFalse();
        assertThat(Unicode.isWellFormed("\uD83D\uD83D\uDD11")).isFalse();
    }
}
