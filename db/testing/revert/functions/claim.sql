-- Revert tributary_test:functions/claim
BEGIN;
DROP FUNCTION tributary_test.claim(bigint, text, text);
COMMIT;
