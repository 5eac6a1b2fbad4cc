-- Revert tributary_test:functions/run
BEGIN;
DROP FUNCTION tributary_test.run(bigint, text, jsonb);
COMMIT;
