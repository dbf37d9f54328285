-- People, one-time links, server-side sessions and the audit trail.
-- No column may hold a legal name, status, contact detail or identifier of anyone.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    handle TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(handle) BETWEEN 3 AND 32),
    role TEXT NOT NULL CHECK (role IN ('coordinator', 'volunteer')),
    password_hash TEXT NOT NULL,
    languages TEXT NOT NULL DEFAULT '',
    availability TEXT NOT NULL DEFAULT '',
    ui_language TEXT CHECK (ui_language IN ('fr', 'en', 'es')),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER,
    deactivated_at INTEGER
);

-- Setup links and invites: only a hash of the token is kept.
CREATE TABLE invites (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL CHECK (purpose IN ('setup', 'invite', 'reset')),
    role TEXT CHECK (role IN ('coordinator', 'volunteer')),
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Who did what to which object, never content.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_by_time ON audit_events (at);
