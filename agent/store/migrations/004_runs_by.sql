-- Who started each run: the user name of the command line or tray that
-- asked (from the local API's peer credentials, or the command line's own
-- user), or "schedule". Runs from before this column say ''.
ALTER TABLE runs ADD COLUMN started_by TEXT NOT NULL DEFAULT '';
