-- The central repository's state. Archives live on disk by sha256 under
-- public/archives; everything signed lives in the blobs table.
CREATE TABLE modules (
    name            TEXT PRIMARY KEY,
    is_core         INTEGER NOT NULL DEFAULT 0,
    default_upgrade INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL
);

CREATE TABLE versions (
    id             INTEGER PRIMARY KEY,
    module         TEXT NOT NULL REFERENCES modules(name),
    version        TEXT NOT NULL,
    sort_key       TEXT NOT NULL,
    release_json   TEXT NOT NULL,
    archive_sha256 TEXT NOT NULL,
    archive_length INTEGER NOT NULL,
    extended_from  TEXT NOT NULL DEFAULT '',
    published_at   TEXT NOT NULL,
    published_by   TEXT NOT NULL,
    UNIQUE (module, sort_key)
);

CREATE TABLE dependencies (
    version_id INTEGER NOT NULL REFERENCES versions(id),
    module     TEXT NOT NULL,
    PRIMARY KEY (version_id, module)
);
CREATE INDEX dependencies_module ON dependencies(module);

CREATE TABLE repositories (
    name       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('series', 'private')),
    created_at TEXT NOT NULL
);

CREATE TABLE placements (
    version_id INTEGER NOT NULL REFERENCES versions(id),
    repository TEXT NOT NULL REFERENCES repositories(name),
    PRIMARY KEY (version_id, repository)
);
CREATE INDEX placements_repository ON placements(repository);

CREATE TABLE tuf_targets (
    repository TEXT NOT NULL,
    path       TEXT NOT NULL,
    bin        TEXT NOT NULL,
    length     INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    PRIMARY KEY (repository, path)
);
CREATE INDEX tuf_targets_bin ON tuf_targets(repository, bin);

-- The current version and expiry of every signed role of each repository.
CREATE TABLE tuf_roles (
    repository TEXT NOT NULL,
    role       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    expires    TEXT NOT NULL,
    length     INTEGER NOT NULL DEFAULT 0,
    sha256     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (repository, role)
);

CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'publisher')),
    modules    TEXT NOT NULL DEFAULT '',
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    module  TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT '',
    detail  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every signed document of the read side (roots, timestamps, snapshots,
-- targets, bins and module listings), by its path under the public tree.
-- Written in the same transaction as the state it signs, so a reader never
-- sees a torn or unsigned state. superseded_at marks old versions for pruning.
CREATE TABLE blobs (
    path          TEXT PRIMARY KEY,
    body          BLOB NOT NULL,
    etag          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    superseded_at TEXT
);
