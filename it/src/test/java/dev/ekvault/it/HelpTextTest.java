package dev.ekvault.it;

import dev.ekvault.server.config.Setting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ek-server --help}, from the jar: it lists every configuration key the loader accepts (the one table
 * {@link Setting#ALL}) with its default, and names no flag that is neither a key nor a command's own.
 */
class HelpTextTest {
    /** The flags of the commands themselves, and the {@code --key=value} placeholder. */
    private static final Set<String> COMMAND_FLAGS = Set.of("--config", "--key", "--workspace", "--email", "--expires-in", "--force",
            "--new-key-file", "--seq", "--hash");

    @TempDir
    Path work;

    @Test
    void theHelpListsEverySettingAndNoOther() {
        EkJar.Result r = EkJar.run(work, Map.of(), "--help");
        assertThat(r.exitCode()).as("stderr:\n%s", r.stderr()).isZero();
        assertThat(r.stdout()).isEmpty();
        Set<String> named = new TreeSet<>();
        Matcher flag = Pattern.compile("--[a-z][a-z0-9-]*").matcher(r.stderr());
        while (flag.find()) named.add(flag.group());
        named.removeAll(COMMAND_FLAGS);
        Set<String> keys = new TreeSet<>();
        for (Setting setting : Setting.ALL) {
            keys.add(setting.flag());
            String listed = setting.defaultValue().isEmpty() ? setting.flag() + " " : setting.flag() + "=" + setting.defaultValue() + " ";
            assertThat(r.stderr()).as("--help lists %s with its default", setting.key()).contains("\n  " + listed);
        }
        assertThat(named).as("flags --help names besides the commands' own").isEqualTo(keys);
    }
}
