-- Verify tributary:functions/_schedule_due_slots
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc
WHERE oid = 'tributary._schedule_due_slots(tributary.schedules, timestamptz, integer)'::regprocedure;
ROLLBACK;
