-- Revert tributary:functions/send_event
BEGIN;
DROP FUNCTION tributary.send_event(text, jsonb, bigint, text, interval);
COMMIT;
