-- Revert tributary_test:functions/fail
BEGIN;
DROP FUNCTION tributary_test.fail(bigint, text, jsonb, boolean);
COMMIT;
