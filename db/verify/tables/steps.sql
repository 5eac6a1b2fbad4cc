-- Verify tributary:tables/steps
BEGIN;
SELECT id, workflow_id, task_name, kind, args, depends_on, queue, priority, max_attempts, timeout,
       retry_backoff, state, attempt, remaining_deps, scheduled_at, created_at, attempted_at,
       worker_id, lease_expires_at, deadline_at, result, errors, cancel_reason, finalized_at
FROM tributary.steps
WHERE false;
SELECT 1 / count(*) FROM pg_catalog.pg_indexes
WHERE schemaname = 'tributary' AND indexname IN ('steps_ready_idx', 'steps_lease_expiry_idx')
HAVING count(*) = 2;
ROLLBACK;
