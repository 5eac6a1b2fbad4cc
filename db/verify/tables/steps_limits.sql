-- Verify tributary:tables/steps_limits
BEGIN;
SELECT 1 / (pg_catalog.count(*) = 9)::integer FROM pg_catalog.pg_constraint
WHERE conrelid = 'tributary.steps'::regclass AND convalidated
  AND conname IN ('steps_task_name_length', 'steps_kind_length', 'steps_queue_length', 'steps_worker_id_length',
                  'steps_running_has_worker', 'steps_timeout_bounded', 'steps_retry_backoff_bounded',
                  'steps_attempts_left_bounded', 'steps_scheduled_at_finite');
ROLLBACK;
