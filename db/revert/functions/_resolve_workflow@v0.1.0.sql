-- Revert tributary:functions/_resolve_workflow
BEGIN;
DROP FUNCTION tributary._resolve_workflow(bigint);
COMMIT;
