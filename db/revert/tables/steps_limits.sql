-- Revert tributary:tables/steps_limits
BEGIN;

ALTER TABLE tributary.steps
  DROP CONSTRAINT steps_task_name_length,
  DROP CONSTRAINT steps_kind_length,
  DROP CONSTRAINT steps_queue_length,
  DROP CONSTRAINT steps_worker_id_length,
  DROP CONSTRAINT steps_running_has_worker,
  DROP CONSTRAINT steps_timeout_bounded,
  DROP CONSTRAINT steps_retry_backoff_bounded,
  DROP CONSTRAINT steps_attempts_left_bounded,
  DROP CONSTRAINT steps_scheduled_at_finite;

COMMIT;
