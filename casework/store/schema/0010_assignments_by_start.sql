-- A person's own tasks in time order (their home, debriefs to write, their week) from one
-- index range: each assignment keeps its task's start. A sign-up writes it (staffing); the
-- triggers fill it for any other insert and keep it equal when a task moves. The index
-- replaces the former one by person and task (the primary key finds a person's place on
-- a task), so a sign-up writes no more pages than before.
ALTER TABLE assignments ADD COLUMN task_starts_at INTEGER;
UPDATE assignments
    SET task_starts_at = (SELECT starts_at FROM tasks WHERE tasks.id = assignments.task_id);
CREATE INDEX assignments_by_start ON assignments (user_id, task_starts_at);
DROP INDEX assignments_by_user;
CREATE TRIGGER assignments_start_filled AFTER INSERT ON assignments
    WHEN NEW.task_starts_at IS NULL
    BEGIN UPDATE assignments SET task_starts_at = (SELECT starts_at FROM tasks WHERE id = NEW.task_id) WHERE task_id = NEW.task_id AND user_id = NEW.user_id; END;
CREATE TRIGGER assignments_start_follows AFTER UPDATE OF starts_at ON tasks
    WHEN NEW.starts_at IS NOT OLD.starts_at
    BEGIN UPDATE assignments SET task_starts_at = NEW.starts_at WHERE task_id = NEW.id; END
