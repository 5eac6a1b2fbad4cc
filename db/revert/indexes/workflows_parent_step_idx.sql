-- Revert tributary:indexes/workflows_parent_step_idx
BEGIN;
DROP INDEX tributary.workflows_parent_step_idx;
COMMIT;
