-- Revert tributary:functions/remove_rate_limit
BEGIN;
DROP FUNCTION tributary.remove_rate_limit(text, text);
COMMIT;
