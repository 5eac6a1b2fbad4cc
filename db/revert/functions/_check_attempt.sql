-- Revert tributary:functions/_check_attempt
BEGIN;
DROP FUNCTION tributary._check_attempt(bigint, integer);
COMMIT;
