package dev.ekvault.api;

/**
 * A walk of a workspace's audit chain: entries checked, and where it first breaks — the sequence number due there and
 * the id of the entry found in its place (null fields when intact).
 */
public record AuditVerification(boolean intact, long checked, Long firstBadSeq, String firstBadId, String problem) {}
