-- Revert tributary:functions/retry_step
BEGIN;
DROP FUNCTION tributary.retry_step(bigint);
COMMIT;
