-- Revert tributary_test:functions/workflow_state
BEGIN;
DROP FUNCTION tributary_test.workflow_state(bigint);
COMMIT;
