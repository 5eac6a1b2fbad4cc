-- Revert tributary_test:functions/step_attempts_are
BEGIN;
DROP FUNCTION tributary_test.step_attempts_are(bigint, text, integer, text);
COMMIT;
