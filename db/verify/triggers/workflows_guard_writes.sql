-- Verify tributary:triggers/workflows_guard_writes
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_trigger
WHERE tgrelid = 'tributary.workflows'::regclass AND tgname = '_010_guard_writes' AND NOT tgisinternal;
ROLLBACK;
