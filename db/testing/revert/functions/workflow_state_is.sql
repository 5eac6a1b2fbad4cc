-- Revert tributary_test:functions/workflow_state_is
BEGIN;
DROP FUNCTION tributary_test.workflow_state_is(bigint, text, text);
COMMIT;
