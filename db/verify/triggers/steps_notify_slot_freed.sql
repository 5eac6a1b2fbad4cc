-- Verify tributary:triggers/steps_notify_slot_freed
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_trigger
WHERE tgrelid = 'tributary.steps'::regclass AND tgname = '_900_notify_slot_freed' AND tgenabled = 'O';
ROLLBACK;
