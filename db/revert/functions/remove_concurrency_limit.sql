-- Revert tributary:functions/remove_concurrency_limit
BEGIN;
DROP FUNCTION tributary.remove_concurrency_limit(text, text);
COMMIT;
