-- Revert tributary_test:functions/reset_now
BEGIN;
DROP FUNCTION tributary_test.reset_now();
COMMIT;
