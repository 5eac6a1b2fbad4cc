-- Deploy tributary:tables/steps_limits
-- requires: tables/steps
--
-- Bounds on the values a caller gives a step, so that no single step can break more than itself:
-- names well below the btree index row limit (about 2,700 bytes) and the NOTIFY payload limit
-- (8,000 bytes; the queue name is the payload), intervals that cannot push a lease, deadline or
-- retry time past the end of timestamptz (which failed every claim of the queue), a finite
-- schedule, and at most 1,000,000 attempts left (so attempt counters never overflow). A claim
-- must name its worker. create_workflow() reports a task that breaks one of them as TB005
-- naming the task (functions/_diagnose_task_options); a direct INSERT gets the named constraint.
BEGIN;

ALTER TABLE tributary.steps
  ADD CONSTRAINT steps_task_name_length CHECK (pg_catalog.char_length(task_name) <= 255),
  ADD CONSTRAINT steps_kind_length CHECK (pg_catalog.char_length(kind) <= 255),
  ADD CONSTRAINT steps_queue_length CHECK (pg_catalog.char_length(queue) <= 255),
  ADD CONSTRAINT steps_worker_id_length CHECK (pg_catalog.char_length(worker_id) <= 255),
  ADD CONSTRAINT steps_running_has_worker CHECK (state <> 'running' OR worker_id IS NOT NULL),
  ADD CONSTRAINT steps_timeout_bounded CHECK (timeout <= interval '1 year'),
  ADD CONSTRAINT steps_retry_backoff_bounded CHECK (retry_backoff <= interval '1 year'),
  ADD CONSTRAINT steps_attempts_left_bounded CHECK (max_attempts - attempt <= 1000000),
  ADD CONSTRAINT steps_scheduled_at_finite CHECK (pg_catalog.isfinite(scheduled_at));

COMMENT ON CONSTRAINT steps_attempts_left_bounded ON tributary.steps IS
  'At most 1,000,000 attempts left: max_attempts <= 1,000,000 at creation; a release (which does not count the attempt) keeps the number left.';

COMMIT;
