-- Verify tributary:triggers/steps_check_direct_insert
BEGIN;
SELECT 1 / count(*) FROM pg_catalog.pg_trigger
WHERE tgrelid = 'tributary.steps'::regclass AND tgname = '_100_check_direct_insert' AND NOT tgisinternal;
ROLLBACK;
