-- Verify tributary:functions/_schedule_fire_time_after
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc
WHERE oid = 'tributary._schedule_fire_time_after(tributary.schedules, timestamptz)'::regprocedure;
ROLLBACK;
