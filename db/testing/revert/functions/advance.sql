-- Revert tributary_test:functions/advance
BEGIN;
DROP FUNCTION tributary_test.advance(interval);
COMMIT;
