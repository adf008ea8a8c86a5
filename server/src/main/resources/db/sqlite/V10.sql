-- A value's reminder (issue 14, part 3): at most one per value, that is per (secret, environment, owner; '' = the
-- shared value), written only by secret/ReminderStore. type: 'one_time' or 'recurring' (with interval_days);
-- next_at: the next occurrence (epoch ms); emitted_at: the occurrence (a next_at) whose "due" change was journalled,
-- set by a conditional update so that several nodes emit each occurrence once. The store deletes a value's reminder
-- with the value; the cascades only back that up.
CREATE TABLE secret_reminder (
    id             TEXT    PRIMARY KEY,
    workspace_id   TEXT    NOT NULL,
    project_id     TEXT    NOT NULL,
    secret_id      TEXT    NOT NULL REFERENCES secret (id) ON DELETE CASCADE,
    environment_id TEXT    NOT NULL REFERENCES environment (id) ON DELETE CASCADE,
    owner_id       TEXT    NOT NULL,
    type           TEXT    NOT NULL,
    interval_days  INTEGER,
    next_at        BIGINT  NOT NULL,
    emitted_at     BIGINT,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    UNIQUE (secret_id, environment_id, owner_id)
);
CREATE INDEX secret_reminder_workspace ON secret_reminder (workspace_id, next_at, id);
CREATE INDEX secret_reminder_next ON secret_reminder (next_at);
CREATE INDEX secret_reminder_project ON secret_reminder (project_id);
