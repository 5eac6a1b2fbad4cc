-- Verify tributary:functions/_schedule_due_fire_times
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc
WHERE oid = 'tributary._schedule_due_fire_times(tributary.schedules, timestamptz, integer)'::regprocedure;
ROLLBACK;
