-- Verify tributary:triggers/steps_guard_writes
BEGIN;
SELECT 1 / (pg_catalog.count(*) = 2)::integer FROM pg_catalog.pg_trigger
WHERE tgrelid = 'tributary.steps'::regclass AND tgname IN ('_010_guard_update', '_010_guard_delete') AND NOT tgisinternal;
ROLLBACK;
