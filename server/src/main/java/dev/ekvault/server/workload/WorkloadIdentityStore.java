package dev.ekvault.server.workload;

import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * SQL for the OIDC half of a workload identity: what a cluster token must show. The other half (name, permission,
 * scope, creator, last use, revocation) is the identity's row in {@code credential}, same id.
 */
public final class WorkloadIdentityStore {
    /** {@code jwks} is a pasted public JWK set, or null when the issuer's keys are fetched by OIDC discovery. */
    public record Row(String credentialId, String workspaceId, String issuer, String audience, String subject, String jwks,
                      long createdAt, long updatedAt) {}

    private static final String COLUMNS = "o.credential_id, o.workspace_id, o.issuer, o.audience, o.subject, o.jwks, o.created_at, o.updated_at";

    public void insert(Connection c, Row row) throws SQLException {
        Sql.update(c, "INSERT INTO oidc_identity (credential_id, workspace_id, issuer, audience, subject, jwks, created_at, updated_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row.credentialId(), row.workspaceId(), row.issuer(), row.audience(), row.subject(),
                row.jwks(), row.createdAt(), row.updatedAt());
        // the identity's credential row journals its name, permission and scope (and feeds the nodes); this is what a
        // cluster token must show
        Journal.changed(c, Journal.Change.of("create", "workload-identity", row.workspaceId(), row.credentialId()).after(describe(row)));
    }

    public void update(Connection c, Row row) throws SQLException {
        Row before = find(c, row.credentialId());
        Sql.update(c, "UPDATE oidc_identity SET issuer = ?, audience = ?, subject = ?, jwks = ?, updated_at = ? WHERE credential_id = ?",
                row.issuer(), row.audience(), row.subject(), row.jwks(), row.updatedAt(), row.credentialId());
        Journal.changed(c, Journal.Change.of("update", "workload-identity", row.workspaceId(), row.credentialId())
                .before(before == null ? null : describe(before)).after(describe(row)));
    }

    /** What the journal records: the claims a cluster token must show and whether its keys are pasted (not the keys). */
    private static java.util.Map<String, Object> describe(Row row) {
        return Journal.fields("issuer", row.issuer(), "audience", row.audience(), "subject", row.subject(), "pastedJwks", row.jwks() != null);
    }

    public Row find(Connection c, String credentialId) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + " FROM oidc_identity o WHERE o.credential_id = ?", WorkloadIdentityStore::read, credentialId);
    }

    public List<Row> listByWorkspace(Connection c, String workspaceId) throws SQLException {
        return Sql.list(c, "SELECT " + COLUMNS + " FROM oidc_identity o WHERE o.workspace_id = ?", WorkloadIdentityStore::read, workspaceId);
    }

    /** The workspace's identities that are not deleted (credential not revoked) and trust exactly this issuer. */
    public List<Row> liveByIssuer(Connection c, String workspaceId, String issuer) throws SQLException {
        return Sql.list(c, "SELECT " + COLUMNS + " FROM oidc_identity o JOIN credential k ON k.id = o.credential_id "
                + "WHERE o.workspace_id = ? AND o.issuer = ? AND k.revoked_at IS NULL", WorkloadIdentityStore::read, workspaceId, issuer);
    }

    private static Row read(ResultSet r) throws SQLException {
        return new Row(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6), r.getLong(7), r.getLong(8));
    }
}
