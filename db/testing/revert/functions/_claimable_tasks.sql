-- Revert tributary_test:functions/_claimable_tasks
BEGIN;
DROP FUNCTION tributary_test._claimable_tasks(bigint);
COMMIT;
