-- Verify tributary:views/workflow_progress
BEGIN;
SELECT id, name, state, steps_total, pending, available, running, completed, discarded, cancelled,
       created_at, finalized_at, elapsed, skipped, waiting
FROM tributary.workflow_progress WHERE false;
ROLLBACK;
