-- Revert tributary:indexes/workflows_created_at_idx
BEGIN;
DROP INDEX tributary.workflows_created_at_idx;
COMMIT;
