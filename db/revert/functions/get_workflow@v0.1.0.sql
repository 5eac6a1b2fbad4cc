-- Revert tributary:functions/get_workflow
BEGIN;
DROP FUNCTION tributary.get_workflow(bigint);
COMMIT;
