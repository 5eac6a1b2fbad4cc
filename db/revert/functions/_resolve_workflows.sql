-- Revert tributary:functions/_resolve_workflows
BEGIN;
DROP FUNCTION tributary._resolve_workflows(bigint[]);
COMMIT;
