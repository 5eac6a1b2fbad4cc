-- Revert tributary:views/workflow_counts
BEGIN;
DROP VIEW tributary.workflow_counts;
COMMIT;
