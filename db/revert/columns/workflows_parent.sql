-- Revert tributary:columns/workflows_parent
BEGIN;
ALTER TABLE tributary.workflows DROP COLUMN parent_step_id, DROP COLUMN parent_workflow_id;
COMMIT;
