-- Verify tributary:views/recent_failures
BEGIN;
SELECT step_id, workflow_id, task_name, kind, state, attempt, max_attempts, failed_at, message, error
FROM tributary.recent_failures WHERE false;
ROLLBACK;
