-- Revert tributary:functions/set_concurrency_limit
BEGIN;
DROP FUNCTION tributary.set_concurrency_limit(text, text, integer);
COMMIT;
