-- Revert tributary_test:functions/set_now
BEGIN;
DROP FUNCTION tributary_test.set_now(timestamptz);
COMMIT;
