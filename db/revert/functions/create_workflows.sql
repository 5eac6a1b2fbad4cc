-- Revert tributary:functions/create_workflows
BEGIN;
DROP FUNCTION tributary.create_workflows(jsonb);
COMMIT;
