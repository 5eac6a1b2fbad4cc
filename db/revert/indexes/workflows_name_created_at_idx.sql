-- Revert tributary:indexes/workflows_name_created_at_idx
BEGIN;
DROP INDEX tributary.workflows_name_created_at_idx;
COMMIT;
