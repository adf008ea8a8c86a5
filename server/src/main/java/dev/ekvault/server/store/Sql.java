package dev.ekvault.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * The JDBC steps every store repeats: prepare, bind, run, map. Parameters bind by their Java type (String, Long,
 * Integer, Boolean, byte[]; null as SQL NULL); rows map through a {@link Row} function.
 */
public final class Sql {
    /** Reads the current row of a result set into a value. */
    @FunctionalInterface
    public interface Row<T> {
        T read(ResultSet row) throws SQLException;
    }

    private Sql() {}

    /** Runs an INSERT, UPDATE or DELETE; returns the number of rows changed. */
    public static int update(Connection c, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = prepare(c, sql, parameters)) {
            return statement.executeUpdate();
        }
    }

    /**
     * Runs one INSERT, UPDATE or DELETE for each parameter row, prepared once and sent as one batch (a group of
     * audit entries: one statement and one round trip instead of hundreds).
     */
    public static void batch(Connection c, String sql, List<Object[]> rows) throws SQLException {
        if (rows.isEmpty()) return;
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            for (Object[] parameters : rows) {
                for (int i = 0; i < parameters.length; i++) bind(statement, i + 1, parameters[i]);
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    public static <T> List<T> list(Connection c, String sql, Row<T> row, Object... parameters) throws SQLException {
        try (PreparedStatement statement = prepare(c, sql, parameters); ResultSet rows = statement.executeQuery()) {
            List<T> result = new ArrayList<>();
            while (rows.next()) result.add(row.read(rows));
            return result;
        }
    }

    /** The first row mapped, or null when there is none. */
    public static <T> T one(Connection c, String sql, Row<T> row, Object... parameters) throws SQLException {
        try (PreparedStatement statement = prepare(c, sql, parameters); ResultSet rows = statement.executeQuery()) {
            return rows.next() ? row.read(rows) : null;
        }
    }

    public static boolean exists(Connection c, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = prepare(c, sql, parameters); ResultSet rows = statement.executeQuery()) {
            return rows.next();
        }
    }

    /** Statement parameters in order, each collection spread in place (the values of an IN list among single ones). */
    public static Object[] spread(Object... parts) {
        List<Object> out = new ArrayList<>();
        for (Object part : parts) {
            if (part instanceof Collection<?> many) out.addAll(many);
            else out.add(part);
        }
        return out.toArray();
    }

    /** {@code ?, ?, ?} for an IN list of {@code n} values. */
    public static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    public static Long nullableLong(ResultSet r, int index) throws SQLException {
        long value = r.getLong(index);
        return r.wasNull() ? null : value;
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... parameters) throws SQLException {
        PreparedStatement statement = c.prepareStatement(sql);
        try {
            for (int i = 0; i < parameters.length; i++) bind(statement, i + 1, parameters[i]);
            return statement;
        } catch (SQLException | RuntimeException e) {
            statement.close();
            throw e;
        }
    }

    private static void bind(PreparedStatement statement, int index, Object value) throws SQLException {
        switch (value) {
            case null -> statement.setNull(index, Types.NULL);
            case String s -> statement.setString(index, s);
            case Long l -> statement.setLong(index, l);
            case Integer i -> statement.setInt(index, i);
            case Boolean b -> statement.setBoolean(index, b);
            case byte[] bytes -> statement.setBytes(index, bytes);
            default -> throw new IllegalArgumentException("cannot bind a " + value.getClass().getSimpleName());
        }
    }
}
