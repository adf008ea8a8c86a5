package dev.ekvault.api;

/** A walk of a workspace's audit chain: entries checked, and the first that does not match (null fields when intact). */
public record AuditVerification(boolean intact, long checked, Long firstBadSeq, String firstBadId, String problem) {}
