-- Revert tributary:functions/retry_workflow
BEGIN;
DROP FUNCTION tributary.retry_workflow(bigint);
COMMIT;
