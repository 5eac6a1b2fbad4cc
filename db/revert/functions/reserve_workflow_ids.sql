-- Revert tributary:functions/reserve_workflow_ids
BEGIN;
DROP FUNCTION tributary.reserve_workflow_ids(integer);
COMMIT;
