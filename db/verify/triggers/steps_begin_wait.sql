-- Verify tributary:triggers/steps_begin_wait
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_trigger
WHERE tgrelid = 'tributary.steps'::regclass AND tgname = '_020_begin_wait' AND tgenabled <> 'D';
ROLLBACK;
