-- Revert tributary:functions/create_schedule
BEGIN;
DROP FUNCTION tributary.create_schedule(text, text, jsonb, text, interval, text, jsonb, text, text, integer, interval, timestamptz, boolean);
COMMIT;
