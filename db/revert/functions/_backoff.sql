-- Revert tributary:functions/_backoff
BEGIN;
DROP FUNCTION tributary._backoff(integer, interval);
COMMIT;
