-- Revert tributary:views/workflow_progress
BEGIN;
DROP VIEW tributary.workflow_progress;
COMMIT;
