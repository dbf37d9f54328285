-- The board lists the soonest upcoming tasks with a change someone going has not seen.
-- Each notice keeps its task's start (notices.tell writes it, tasks.update keeps it
-- equal), so the board reads the first few unseen notices in start order from one index
-- instead of every unseen notice and its task.
ALTER TABLE change_notices ADD COLUMN task_starts_at INTEGER;
UPDATE change_notices
    SET task_starts_at = (SELECT starts_at FROM tasks WHERE tasks.id = change_notices.task_id);
CREATE INDEX change_notices_unseen_by_start ON change_notices (task_starts_at, task_id)
    WHERE seen_at IS NULL;
-- Only the board read the former index.
DROP INDEX change_notices_unseen
