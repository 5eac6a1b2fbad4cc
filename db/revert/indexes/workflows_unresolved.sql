-- Revert tributary:indexes/workflows_unresolved
BEGIN;
DROP INDEX tributary.workflows_unresolved_idx;
COMMIT;
