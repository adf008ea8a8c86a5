import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;

/** make-fixture.sh's last step: a compacted, self-contained copy of the database (no -wal beside it). */
public class Compact {
    public static void main(String[] args) throws Exception {
        java.nio.file.Files.deleteIfExists(java.nio.file.Path.of(args[1]));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + args[0]); PreparedStatement vacuum = c.prepareStatement("VACUUM INTO ?")) {
            vacuum.setString(1, args[1]);
            vacuum.execute();
        }
    }
}
