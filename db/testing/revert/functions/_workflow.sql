-- Revert tributary_test:functions/_workflow
BEGIN;
DROP FUNCTION tributary_test._workflow(bigint);
COMMIT;
