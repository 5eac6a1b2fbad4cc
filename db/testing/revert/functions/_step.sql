-- Revert tributary_test:functions/_step
BEGIN;
DROP FUNCTION tributary_test._step(bigint, text);
COMMIT;
