-- Verify tributary:views/workflow_counts
BEGIN;
SELECT state, count FROM tributary.workflow_counts WHERE false;
ROLLBACK;
