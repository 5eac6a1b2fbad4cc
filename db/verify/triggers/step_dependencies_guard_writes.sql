-- Verify tributary:triggers/step_dependencies_guard_writes
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_trigger
WHERE tgrelid = 'tributary.step_dependencies'::regclass AND tgname = '_010_guard_writes' AND NOT tgisinternal;
ROLLBACK;
