-- Every page a write touches is encrypted and authenticated again at commit: indexes
-- that most writes never need to touch should not be touched.
-- Urgent tasks are few: index only them (needs-people board and the volunteers' banner
-- both ask for urgent = 1), so an ordinary task's insert or state change skips it.
DROP INDEX tasks_urgent;
CREATE INDEX tasks_urgent ON tasks (state, starts_at) WHERE urgent = 1;
-- The audit trail gets an event with every action and is read only by the daily purge,
-- which can scan a table it keeps to retention.audit_days: an index on its time cost
-- every write one more page for a once-a-day read.
DROP INDEX audit_events_by_time
