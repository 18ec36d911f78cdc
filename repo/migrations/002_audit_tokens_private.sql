-- Refused and failed writes are audited too: result is ok, refused or
-- failed, reason says why.
ALTER TABLE audit_log ADD COLUMN result TEXT NOT NULL DEFAULT 'ok';
ALTER TABLE audit_log ADD COLUMN reason TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_log_result ON audit_log(result);
CREATE INDEX audit_log_module ON audit_log(module);

-- Tokens gain the reader role (reads of the private repositories listed
-- in repositories) and an optional expiry. SQLite cannot alter a CHECK, so
-- the table is copied.
CREATE TABLE tokens_new (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'publisher', 'reader')),
    modules      TEXT NOT NULL DEFAULT '',
    repositories TEXT NOT NULL DEFAULT '',
    hash         TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT
);
INSERT INTO tokens_new (id, name, role, modules, hash, created_at, revoked_at)
    SELECT id, name, role, modules, hash, created_at, revoked_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;

-- A version published into a private repository is placed there only,
-- never widened into the series repositories.
ALTER TABLE versions ADD COLUMN private_to TEXT NOT NULL DEFAULT '';
