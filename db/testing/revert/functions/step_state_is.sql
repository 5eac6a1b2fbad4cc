-- Revert tributary_test:functions/step_state_is
BEGIN;
DROP FUNCTION tributary_test.step_state_is(bigint, text, text, text);
COMMIT;
