-- What each purge run did: when, how many rows of each kind, how long each step took.
-- Counts only: never a case code, a handle or any content. Dry runs are not recorded
-- (a dry run changes nothing, not even this table).
CREATE TABLE purge_reports (
    id INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    steps TEXT NOT NULL DEFAULT '{}',
    seconds REAL NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL CHECK (outcome IN ('deleted', 'done', 'incomplete', 'failed'))
);
CREATE INDEX purge_reports_by_time ON purge_reports (started_at);
CREATE INDEX sessions_by_seen ON sessions (seen_at);
CREATE INDEX invites_by_expiry ON invites (expires_at)
