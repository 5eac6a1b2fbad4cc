-- Revert tributary_test:functions/expire_lease
BEGIN;
DROP FUNCTION tributary_test.expire_lease(bigint, text);
COMMIT;
