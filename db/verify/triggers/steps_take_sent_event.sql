-- Verify tributary:triggers/steps_take_sent_event
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_trigger
WHERE tgrelid = 'tributary.steps'::regclass AND tgname = '_900_take_sent_event' AND tgdeferrable AND tginitdeferred;
ROLLBACK;
