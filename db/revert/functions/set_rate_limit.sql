-- Revert tributary:functions/set_rate_limit
BEGIN;
DROP FUNCTION tributary.set_rate_limit(text, text, integer, interval);
COMMIT;
