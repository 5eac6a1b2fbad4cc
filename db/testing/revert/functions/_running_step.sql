-- Revert tributary_test:functions/_running_step
BEGIN;
DROP FUNCTION tributary_test._running_step(bigint, text, text);
COMMIT;
