-- Revert tributary:functions/_create_workflows
BEGIN;
DROP FUNCTION tributary._create_workflows(jsonb, boolean);
COMMIT;
