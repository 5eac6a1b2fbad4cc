-- Revert tributary_test:functions/step_state
BEGIN;
DROP FUNCTION tributary_test.step_state(bigint, text);
COMMIT;
