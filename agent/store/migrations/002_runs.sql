-- The apply journal and history: one row per apply or rehearsal of a plan,
-- one row per step. A run in state running or restoring is unfinished (the
-- dirty bit): the next apply, or the agent's start, finishes it first.
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    plan_hash     TEXT NOT NULL,
    plan_json     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('apply', 'rehearse')),
    state         TEXT NOT NULL CHECK (state IN ('running', 'restoring', 'succeeded', 'failed-restored', 'restore-failed')),
    started_at    TEXT NOT NULL,
    ended_at      TEXT NOT NULL DEFAULT '',
    failed_step   TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '', -- why the run failed
    restore_error TEXT NOT NULL DEFAULT '', -- why its restore failed, and what to run
    preflight_json TEXT NOT NULL DEFAULT '', -- what preflight found (the settings snapshot, the health), for the restore
    drift_json    TEXT NOT NULL DEFAULT '', -- the settings drift report, once healthy
    backup_json   TEXT NOT NULL DEFAULT ''  -- erp.Backup, once verified
);
CREATE INDEX runs_state ON runs(state);
-- At most one pending run: the journal itself refuses a second.
CREATE UNIQUE INDEX runs_one_pending ON runs((0)) WHERE state IN ('running', 'restoring', 'restore-failed');

CREATE TABLE run_steps (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    n          INTEGER NOT NULL,
    name       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('started', 'done', 'failed')),
    started_at TEXT NOT NULL,
    ended_at   TEXT NOT NULL DEFAULT '',
    output     TEXT NOT NULL DEFAULT '', -- the last OutputLimit bytes
    error      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, n)
);
