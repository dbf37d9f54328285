-- Second factor, recovery codes, sign-in throttling and invite codes read aloud.
-- Still nothing about who a person is: a secret, counters and times.
ALTER TABLE users ADD COLUMN totp_secret BLOB;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- One-time recovery codes: only their SHA-256 is kept; a used code is deleted.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    UNIQUE (user_id, code_hash)
);

-- Failed sign-in attempts per account: a time and nothing else (purged after a day).
CREATE TABLE failed_signins (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at INTEGER NOT NULL
);
CREATE INDEX failed_signins_by_user ON failed_signins (user_id, at);

-- The short code read aloud for an invite or reset link, stored hashed like the token.
ALTER TABLE invites ADD COLUMN code_hash TEXT;
CREATE UNIQUE INDEX invites_by_code ON invites (code_hash);
