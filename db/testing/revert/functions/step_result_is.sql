-- Revert tributary_test:functions/step_result_is
BEGIN;
DROP FUNCTION tributary_test.step_result_is(bigint, text, jsonb, text);
COMMIT;
