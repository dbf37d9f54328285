-- Key slots (vault/slots.py): the slot file next to the store names nobody; which slot is
-- whose, and the epoch the file must have at least, are recorded here, encrypted.
CREATE TABLE vault (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    store_id TEXT NOT NULL,
    slot_epoch INTEGER NOT NULL,
    recovery_used_at INTEGER
);
CREATE TABLE unlock_slots (
    slot_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('coordinator', 'operator', 'recovery', 'key_file')),
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX unlock_slots_one_per_coordinator ON unlock_slots (user_id)
    WHERE user_id IS NOT NULL
