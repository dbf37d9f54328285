-- Change notices: what a coordinator changed on a task since each person going last
-- looked. One row per task and person (several changes collapse into it); the kinds of
-- change and the former time and place, so the notice can say "old -> new". No free text
-- of its own: the former place is the task's own text, seen by the same people before.
-- A rowid table: the purge deletes in batches walked by rowid (store/purge_steps.py).
CREATE TABLE change_notices (
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    changes TEXT NOT NULL CHECK (length(changes) <= 120),
    was_starts_at INTEGER,
    was_ends_at INTEGER,
    was_place TEXT CHECK (length(was_place) <= 120),
    changed_at INTEGER NOT NULL,
    seen_at INTEGER,
    PRIMARY KEY (task_id, user_id)
);
-- A person's home: their unseen notices.
CREATE INDEX change_notices_by_user ON change_notices (user_id, seen_at);
-- The board: upcoming tasks with a change not seen yet (the unseen ones are few).
CREATE INDEX change_notices_unseen ON change_notices (task_id) WHERE seen_at IS NULL;
-- The purge: notices past their period.
CREATE INDEX change_notices_by_change ON change_notices (changed_at);
-- A volunteer who withdraws less than 48 hours before the start: the board shows it.
ALTER TABLE tasks ADD COLUMN late_withdrawal_at INTEGER;
-- The board's late withdrawals: a handful of rows out of every task.
CREATE INDEX tasks_late_withdrawals ON tasks (late_withdrawal_at)
    WHERE late_withdrawal_at IS NOT NULL
