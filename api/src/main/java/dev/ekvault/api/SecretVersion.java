package dev.ekvault.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One version of one value of a secret (its history, newest first): which environment, whether it is the caller's
 * personal override, when and by whom (person and credential) it was written, and whether this version deleted the
 * value ({@code withSecret}: the whole secret was deleted). {@code value} is there only when asked for with
 * {@code includeValues=true} (a read of values, recorded as such) and the version holds one.
 */
public record SecretVersion(long version, String environmentId, boolean isPersonal, boolean deleted, boolean withSecret, String changedAt,
                            String changedBy, String credentialId, String credentialKind,
                            @JsonInclude(JsonInclude.Include.NON_NULL) String value) {}
