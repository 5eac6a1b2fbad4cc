-- Revert tributary_test:functions/release
BEGIN;
DROP FUNCTION tributary_test.release(bigint, text);
COMMIT;
