package dev.ekvault.api;

import java.util.Map;

/**
 * One audit-log entry: when, who (person, credential and its kind, client address, request id), what was done to
 * which entity where, its describing fields before and after (never a secret value, token or password), the outcome,
 * and its place in the workspace's hash chain.
 */
public record AuditRecord(String id, long seq, String at, String actorUserId, String credentialId, String credentialKind,
                          String clientAddress, String requestId, String action, String entityType, String entityId,
                          String projectId, String environmentId, Map<String, Object> before, Map<String, Object> after,
                          String outcome, String prevHash, String hash) {}
