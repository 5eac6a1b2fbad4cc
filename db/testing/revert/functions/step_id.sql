-- Revert tributary_test:functions/step_id
BEGIN;
DROP FUNCTION tributary_test.step_id(bigint, text);
COMMIT;
