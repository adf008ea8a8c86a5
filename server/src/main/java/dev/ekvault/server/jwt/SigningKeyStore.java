package dev.ekvault.server.jwt;

import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.Journal;
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

    /** Every key, retired ones included (a master key rotation re-seals them all). */
    List<Row> all(Connection c) throws SQLException {
        return Sql.list(c, "SELECT " + COLUMNS + " FROM signing_key ORDER BY kid", ROW);
    }

    /** The same private key sealed under another master key; not a change of the key, so not journalled. */
    void updateSealed(Connection c, String kid, byte[] privateSealed) throws SQLException {
        Sql.update(c, "UPDATE signing_key SET private_sealed = ? WHERE kid = ?", privateSealed, kid);
    }

    /** The newest active key, or null. */
    Row newestActive(Connection c) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + " FROM signing_key WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC "
                + "LIMIT 1", ROW);
    }

    List<String> activeKids(Connection c) throws SQLException {
        return Sql.list(c, "SELECT kid FROM signing_key WHERE retired_at IS NULL", r -> r.getString(1));
    }

    /**
     * Stores a new key (its private half sealed; the journal records only its id and algorithm). {@code announce}: the
     * change also goes to the change feed so every node reloads the keys at once (an operator's rotation); a scheduled
     * rotation is not announced, each node rotating and re-reading on its own schedule.
     */
    void insert(Connection c, Row row, boolean announce) throws SQLException {
        Sql.update(c, "INSERT INTO signing_key (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)",
                row.kid(), row.algorithm(), row.publicJwk(), row.privateSealed(), row.createdAt(), row.retiredAt());
        Journal.Change change = Journal.Change.of("create", "signing-key", "", row.kid())
                .after(Journal.fields("algorithm", row.algorithm(), "createdAt", row.createdAt()));
        Journal.changed(c, announce ? change.feed(ChangeFeed.Kind.SIGNING_KEY) : change);
    }

    /** Retires one key if it is still active; 0 means another node retired it first. */
    int retire(Connection c, String kid, long now) throws SQLException {
        int retired = Sql.update(c, "UPDATE signing_key SET retired_at = ? WHERE kid = ? AND retired_at IS NULL", now, kid);
        if (retired == 1) journalRetired(c, kid, now);
        return retired;
    }

    int retireAllActive(Connection c, long now) throws SQLException {
        List<String> active = activeKids(c);
        int retired = Sql.update(c, "UPDATE signing_key SET retired_at = ? WHERE retired_at IS NULL", now);
        for (String kid : active) journalRetired(c, kid, now);
        return retired;
    }

    private static void journalRetired(Connection c, String kid, long now) throws SQLException {
        Journal.changed(c, Journal.Change.of("retire", "signing-key", "", kid).after(Journal.fields("retiredAt", now)));
    }

    /** Deletes keys retired at or before {@code cutoff}: no token they signed can still be accepted. */
    int deleteRetiredAtOrBefore(Connection c, long cutoff) throws SQLException {
        List<String> gone = Sql.list(c, "SELECT kid FROM signing_key WHERE retired_at IS NOT NULL AND retired_at <= ?", r -> r.getString(1), cutoff);
        int deleted = Sql.update(c, "DELETE FROM signing_key WHERE retired_at IS NOT NULL AND retired_at <= ?", cutoff);
        for (String kid : gone) Journal.changed(c, Journal.Change.of("delete", "signing-key", "", kid));
        return deleted;
    }
}
