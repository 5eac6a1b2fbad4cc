-- Revert tributary:indexes/workflows_state_created_at_idx
BEGIN;
DROP INDEX tributary.workflows_state_created_at_idx;
COMMIT;
