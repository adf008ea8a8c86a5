package dev.ekvault.server.jwt;

import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** SQL for the {@code signing_key} table. Times are epoch milliseconds; {@code retired_at} is null while a key is active. */
final class SigningKeyStore {
    record Row(String kid, String algorithm, String publicJwk, byte[] privateSealed, long createdAt, Long retiredAt) {}

    private static final String COLUMNS = "kid, algorithm, public_jwk, private_sealed, created_at, retired_at";
    private static final Sql.Row<Row> ROW = r -> new Row(r.getString(1), r.getString(2), r.getString(3), r.getBytes(4),
            r.getLong(5), Sql.nullableLong(r, 6));

    /** Active keys and keys retired after {@code retiredAfter}, newest first. */
    List<Row> published(Connection c, long retiredAfter) throws SQLException {
        return Sql.list(c, "SELECT " + COLUMNS + " FROM signing_key WHERE retired_at IS NULL OR retired_at > ? "
                + "ORDER BY created_at DESC, kid DESC", ROW, retiredAfter);
    }

    /** The newest active key, or null. */
    Row newestActive(Connection c) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + " FROM signing_key WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC "
                + "LIMIT 1", ROW);
    }

    List<String> activeKids(Connection c) throws SQLException {
        return Sql.list(c, "SELECT kid FROM signing_key WHERE retired_at IS NULL", r -> r.getString(1));
    }

    void insert(Connection c, Row row) throws SQLException {
        Sql.update(c, "INSERT INTO signing_key (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)",
                row.kid(), row.algorithm(), row.publicJwk(), row.privateSealed(), row.createdAt(), row.retiredAt());
    }

    /** Retires one key if it is still active; 0 means another node retired it first. */
    int retire(Connection c, String kid, long now) throws SQLException {
        return Sql.update(c, "UPDATE signing_key SET retired_at = ? WHERE kid = ? AND retired_at IS NULL", now, kid);
    }

    int retireAllActive(Connection c, long now) throws SQLException {
        return Sql.update(c, "UPDATE signing_key SET retired_at = ? WHERE retired_at IS NULL", now);
    }

    /** Deletes keys retired at or before {@code cutoff}: no token they signed can still be accepted. */
    int deleteRetiredAtOrBefore(Connection c, long cutoff) throws SQLException {
        return Sql.update(c, "DELETE FROM signing_key WHERE retired_at IS NOT NULL AND retired_at <= ?", cutoff);
    }
}
