-- The agent's state: what the admin decided (overrides, holds, relaxed
-- dependencies), what the agent installed (the ledger) and what it saw (scans).
CREATE TABLE default_upgrade_overrides (
    module     TEXT PRIMARY KEY,
    value      INTEGER NOT NULL,
    set_by     TEXT NOT NULL,
    set_at     TEXT NOT NULL
);

CREATE TABLE holds (
    module     TEXT PRIMARY KEY,
    reason     TEXT NOT NULL DEFAULT '',
    set_by     TEXT NOT NULL,
    set_at     TEXT NOT NULL
);

-- A user_editable dependency of MODULE on DEPENDENCY, relaxed to ENFORCEMENT.
CREATE TABLE relaxations (
    module      TEXT NOT NULL,
    dependency  TEXT NOT NULL,
    enforcement TEXT NOT NULL CHECK (enforcement IN ('major', 'minor', 'none')),
    set_by      TEXT NOT NULL,
    set_at      TEXT NOT NULL,
    PRIMARY KEY (module, dependency)
);

-- The versions the agent itself installed: for ERPs that do not record the
-- migrated version (Tryton), the ledger is the truth for what was applied.
CREATE TABLE ledger (
    id          INTEGER PRIMARY KEY,
    module      TEXT NOT NULL,
    version     TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('installed', 'updated', 'disabled', 'restored')),
    plan_hash   TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX ledger_module ON ledger(module, id);

CREATE TABLE scans (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    summary     TEXT NOT NULL,
    report_json TEXT NOT NULL
);
