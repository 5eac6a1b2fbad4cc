-- Revert tributary:functions/_settle_workflows
BEGIN;
DROP FUNCTION tributary._settle_workflows(bigint[]);
COMMIT;
