-- Verify tributary:functions/_schedule_slot_after
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc
WHERE oid = 'tributary._schedule_slot_after(tributary.schedules, timestamptz)'::regprocedure;
ROLLBACK;
