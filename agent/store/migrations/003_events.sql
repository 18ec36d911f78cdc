-- What the agent found and did, as events: shown by `upkeep status`, pushed
-- to the tray, and sent to the webhook and by e-mail. The same news (the
-- same news_key) is one row: seeing it again bumps seen_count and
-- last_seen_at instead of notifying again.
CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    level         TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    title         TEXT NOT NULL,
    body          TEXT NOT NULL DEFAULT '',
    news_key      TEXT NOT NULL DEFAULT '',
    plan_hash     TEXT NOT NULL DEFAULT '',
    notify        INTEGER NOT NULL DEFAULT 1, -- 0: kept and shown, never sent
    seen_count    INTEGER NOT NULL DEFAULT 1,
    last_seen_at  TEXT NOT NULL,
    sent_at       TEXT NOT NULL DEFAULT '',
    send_attempts INTEGER NOT NULL DEFAULT 0,
    send_error    TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX events_news_key ON events(news_key) WHERE news_key <> '';
CREATE INDEX events_unsent ON events(id) WHERE notify = 1 AND sent_at = '';
