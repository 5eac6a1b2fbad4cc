-- Revert tributary:functions/cancel_workflow
BEGIN;
DROP FUNCTION tributary.cancel_workflow(bigint, text);
COMMIT;
