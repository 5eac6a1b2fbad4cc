-- Revert tributary_test:functions/complete
BEGIN;
DROP FUNCTION tributary_test.complete(bigint, text, jsonb);
COMMIT;
