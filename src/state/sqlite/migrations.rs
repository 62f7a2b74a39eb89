//! The schema, one step per change (see `migrate`).

/// Schema steps; step `i` takes `user_version` from `i` to `i + 1`. Append, never edit.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "
    CREATE TABLE links (
        target          TEXT NOT NULL CHECK (target <> ''),
        identity        TEXT NOT NULL CHECK (identity <> ''),
        parent          TEXT CHECK (parent <> ''),
        remote_id       TEXT NOT NULL,
        pushed          TEXT CHECK (pushed IS NULL OR json_valid(pushed)),
        pulled          TEXT CHECK (pulled IN ('todo', 'doing', 'done')),
        remote_version  TEXT,
        archived        INTEGER NOT NULL CHECK (archived IN (0, 1)),
        updated_at      INTEGER NOT NULL,
        PRIMARY KEY (target, identity),
        FOREIGN KEY (target, parent) REFERENCES links (target, identity)
    ) WITHOUT ROWID;
    -- No index on (target, parent): links are never deleted and their keys never change, so
    -- the foreign key never has to look for children, and large commits stay fast.

    CREATE TABLE intents (
        target      TEXT NOT NULL CHECK (target <> ''),
        identity    TEXT NOT NULL CHECK (identity <> ''),
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (target, identity)
    ) WITHOUT ROWID;

    CREATE TABLE status_history (
        seq            INTEGER PRIMARY KEY,
        identity       TEXT NOT NULL CHECK (identity <> ''),
        state          TEXT NOT NULL CHECK (state IN ('todo', 'doing', 'done')),
        source_target  TEXT,
        source_person  TEXT,
        at             INTEGER NOT NULL
    );
    CREATE INDEX status_history_by_identity ON status_history (identity);

    -- The last record of status_history per identity.
    CREATE TABLE status (
        identity       TEXT PRIMARY KEY CHECK (identity <> ''),
        state          TEXT NOT NULL CHECK (state IN ('todo', 'doing', 'done')),
        source_target  TEXT,
        source_person  TEXT,
        at             INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE events (
        seq         INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('drift', 'conflict', 'safety_stop', 'unknown')),
        target      TEXT,
        identity    TEXT,
        detail      TEXT NOT NULL,
        resolution  TEXT NOT NULL,
        person      TEXT,
        at          INTEGER NOT NULL
    );
    CREATE INDEX events_by_time ON events (at);

    CREATE TABLE cursors (
        target  TEXT PRIMARY KEY CHECK (target <> ''),
        value   TEXT NOT NULL CHECK (json_valid(value))
    ) WITHOUT ROWID;

    CREATE TABLE overrides (
        identity  TEXT NOT NULL CHECK (identity <> ''),
        field     TEXT NOT NULL CHECK (field <> ''),
        value     TEXT NOT NULL,
        PRIMARY KEY (identity, field)
    ) WITHOUT ROWID;
    ",
    // 2: what the daemon must remember across restarts.
    "
    -- Reminders, alerts and summaries sent, by key (digest/<process>/<date>/<person>/email):
    -- a key that is here is never sent again.
    CREATE TABLE notices (
        key      TEXT PRIMARY KEY CHECK (key <> ''),
        sent_at  INTEGER NOT NULL
    ) WITHOUT ROWID;

    -- Secrets a tool handed over for a target's webhooks (Asana's handshake).
    CREATE TABLE hook_secrets (
        target      TEXT PRIMARY KEY CHECK (target <> ''),
        secret      TEXT NOT NULL CHECK (secret <> ''),
        updated_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    ",
    // 3: calendar subscriptions (`/calendar/<token>/<person>.ics`).
    "
    -- One secret token per person (by address); revoking replaces it.
    CREATE TABLE calendar_tokens (
        person      TEXT PRIMARY KEY CHECK (person <> ''),
        token       TEXT NOT NULL UNIQUE CHECK (length(token) >= 32),
        updated_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    ",
    // 4: blocked tasks: a fourth state, with the reason a person gave (SQLite cannot change a
    // CHECK in place, so the three tables that hold states are copied into new ones).
    "
    CREATE TABLE links_v4 (
        target          TEXT NOT NULL CHECK (target <> ''),
        identity        TEXT NOT NULL CHECK (identity <> ''),
        parent          TEXT CHECK (parent <> ''),
        remote_id       TEXT NOT NULL,
        pushed          TEXT CHECK (pushed IS NULL OR json_valid(pushed)),
        pulled          TEXT CHECK (pulled IN ('todo', 'doing', 'blocked', 'done')),
        pulled_reason   TEXT CHECK (pulled_reason IS NULL OR pulled = 'blocked'),
        remote_version  TEXT,
        archived        INTEGER NOT NULL CHECK (archived IN (0, 1)),
        updated_at      INTEGER NOT NULL,
        PRIMARY KEY (target, identity),
        FOREIGN KEY (target, parent) REFERENCES links_v4 (target, identity)
    ) WITHOUT ROWID;
    INSERT INTO links_v4 (target, identity, parent, remote_id, pushed, pulled, remote_version,
                          archived, updated_at)
        SELECT target, identity, parent, remote_id, pushed, pulled, remote_version, archived,
               updated_at
        FROM links;
    DROP TABLE links;
    ALTER TABLE links_v4 RENAME TO links;

    CREATE TABLE status_history_v4 (
        seq            INTEGER PRIMARY KEY,
        identity       TEXT NOT NULL CHECK (identity <> ''),
        state          TEXT NOT NULL CHECK (state IN ('todo', 'doing', 'blocked', 'done')),
        reason         TEXT CHECK (reason IS NULL OR state = 'blocked'),
        source_target  TEXT,
        source_person  TEXT,
        at             INTEGER NOT NULL
    );
    INSERT INTO status_history_v4 (seq, identity, state, source_target, source_person, at)
        SELECT seq, identity, state, source_target, source_person, at FROM status_history;
    DROP TABLE status_history;
    ALTER TABLE status_history_v4 RENAME TO status_history;
    CREATE INDEX status_history_by_identity ON status_history (identity);

    CREATE TABLE status_v4 (
        identity       TEXT PRIMARY KEY CHECK (identity <> ''),
        state          TEXT NOT NULL CHECK (state IN ('todo', 'doing', 'blocked', 'done')),
        reason         TEXT CHECK (reason IS NULL OR state = 'blocked'),
        source_target  TEXT,
        source_person  TEXT,
        at             INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO status_v4 (identity, state, source_target, source_person, at)
        SELECT identity, state, source_target, source_person, at FROM status;
    DROP TABLE status;
    ALTER TABLE status_v4 RENAME TO status;
    ",
    // 5: what `report` keeps: success metrics' measured values (`throughline metric record`)
    // and snoozed recommendations (`report --snooze ID --until DATE`).
    "
    CREATE TABLE metric_values (
        seq          INTEGER PRIMARY KEY,
        metric       TEXT NOT NULL CHECK (metric <> ''),
        value        REAL NOT NULL,
        at           INTEGER NOT NULL,
        note         TEXT,
        recorded_at  INTEGER NOT NULL
    );
    CREATE INDEX metric_values_by_metric ON metric_values (metric, at);

    CREATE TABLE snoozes (
        recommendation  TEXT PRIMARY KEY CHECK (recommendation <> ''),
        until           TEXT NOT NULL,
        at              INTEGER NOT NULL
    ) WITHOUT ROWID;
    ",
    // 6: each task's planned dates as they were pushed, so `report` can measure how far plans
    // moved (a row only when the start or due date changed).
    "
    CREATE TABLE planned_history (
        seq       INTEGER PRIMARY KEY,
        identity  TEXT NOT NULL CHECK (identity <> ''),
        start     TEXT,
        due       TEXT,
        at        INTEGER NOT NULL
    );
    CREATE INDEX planned_history_by_identity ON planned_history (identity, seq);
    ",
    // 7: handoffs: a task whose every earlier stage is done, and when its owner was told
    // ("your turn"); a row is never added twice, so a task is handed off at most once.
    "
    CREATE TABLE handoffs (
        identity  TEXT PRIMARY KEY CHECK (identity <> ''),
        owner     TEXT NOT NULL,
        ready_at  INTEGER NOT NULL,
        sent_at   INTEGER
    ) WITHOUT ROWID;
    ",
    // 8: what signed-in people did on the dashboard (sync now, settle a conflict, accept a
    // drift, snooze a recommendation), with who and when; rows are only ever added.
    "
    CREATE TABLE actions (
        seq      INTEGER PRIMARY KEY,
        action   TEXT NOT NULL CHECK (action <> ''),
        who      TEXT NOT NULL CHECK (who <> ''),
        subject  TEXT NOT NULL,
        detail   TEXT NOT NULL,
        at       INTEGER NOT NULL
    );
    CREATE INDEX actions_by_time ON actions (at);
    ",
];
