-- Revert tributary:tables/steps_rules
-- The 35 CHECK constraints come back, validated in one scan of steps.
BEGIN;

ALTER TABLE tributary.steps
  DROP CONSTRAINT steps_rules,
  ADD CONSTRAINT steps_attempt_within_max CHECK (((attempt >= 0) AND (attempt <= max_attempts))),
  ADD CONSTRAINT steps_attempts_left_bounded CHECK (((max_attempts - attempt) <= 1000000)),
  ADD CONSTRAINT steps_available_means_no_remaining_deps CHECK (((state <> 'available'::text) OR (remaining_deps = 0))),
  ADD CONSTRAINT steps_cancel_reason_iff_cancelled CHECK (((state = 'cancelled'::text) = (cancel_reason IS NOT NULL))),
  ADD CONSTRAINT steps_concurrency_key_bounded CHECK (((concurrency_key <> ''::text) AND (length(concurrency_key) <= 255))),
  ADD CONSTRAINT steps_depends_on_has_no_nulls CHECK ((array_position(depends_on, NULL::text) IS NULL)),
  ADD CONSTRAINT steps_errors_is_array CHECK ((jsonb_typeof(errors) = 'array'::text)),
  ADD CONSTRAINT steps_finalized_at_set_iff_final CHECK (((state = ANY (ARRAY['completed'::text, 'discarded'::text, 'cancelled'::text, 'skipped'::text])) = (finalized_at IS NOT NULL))),
  ADD CONSTRAINT steps_kind_length CHECK ((char_length(kind) <= 255)),
  ADD CONSTRAINT steps_kind_not_blank CHECK ((kind <> ''::text)),
  ADD CONSTRAINT steps_lease_set_iff_running CHECK (((state = 'running'::text) = (lease_expires_at IS NOT NULL))),
  ADD CONSTRAINT steps_map_element_has_index CHECK ((((map_step_id IS NULL) = (map_index IS NULL)) AND (map_index >= 0))),
  ADD CONSTRAINT steps_map_over_is_dependency CHECK (((map_over IS NULL) OR (map_over = ANY (depends_on)))),
  ADD CONSTRAINT steps_map_path_needs_map_over CHECK (((map_path IS NULL) OR (map_over IS NOT NULL))),
  ADD CONSTRAINT steps_map_size_needs_map_over CHECK (((map_size IS NULL) OR ((map_over IS NOT NULL) AND (map_size >= 0)))),
  ADD CONSTRAINT steps_max_attempts_positive CHECK ((max_attempts >= 1)),
  ADD CONSTRAINT steps_queue_length CHECK ((char_length(queue) <= 255)),
  ADD CONSTRAINT steps_queue_not_blank CHECK ((queue <> ''::text)),
  ADD CONSTRAINT steps_remaining_deps_not_negative CHECK ((remaining_deps >= 0)),
  ADD CONSTRAINT steps_result_only_when_completed CHECK (((result IS NULL) OR (state = 'completed'::text))),
  ADD CONSTRAINT steps_retry_backoff_bounded CHECK ((retry_backoff <= '1 year'::interval)),
  ADD CONSTRAINT steps_retry_backoff_not_negative CHECK ((retry_backoff >= '00:00:00'::interval)),
  ADD CONSTRAINT steps_run_if_is_object CHECK ((jsonb_typeof(run_if) = 'object'::text)),
  ADD CONSTRAINT steps_run_when_valid CHECK ((run_when = ANY (ARRAY['all_completed'::text, 'any_completed'::text]))),
  ADD CONSTRAINT steps_running_has_worker CHECK (((state <> 'running'::text) OR (worker_id IS NOT NULL))),
  ADD CONSTRAINT steps_scheduled_at_finite CHECK (isfinite(scheduled_at)),
  ADD CONSTRAINT steps_state_valid CHECK ((state = ANY (ARRAY['pending'::text, 'available'::text, 'running'::text, 'waiting'::text, 'completed'::text, 'discarded'::text, 'cancelled'::text, 'skipped'::text]))),
  ADD CONSTRAINT steps_task_name_length CHECK ((char_length(task_name) <= 255)),
  ADD CONSTRAINT steps_task_name_not_blank CHECK ((task_name <> ''::text)),
  ADD CONSTRAINT steps_timeout_bounded CHECK ((timeout <= '1 year'::interval)),
  ADD CONSTRAINT steps_timeout_positive CHECK ((timeout > '00:00:00'::interval)),
  ADD CONSTRAINT steps_wait_is_object CHECK ((jsonb_typeof(wait) = 'object'::text)),
  ADD CONSTRAINT steps_wait_never_claimed CHECK (((wait IS NULL) OR (state <> ALL (ARRAY['available'::text, 'running'::text])))),
  ADD CONSTRAINT steps_wake_at_only_when_waiting CHECK (((wake_at IS NULL) OR (state = 'waiting'::text))),
  ADD CONSTRAINT steps_worker_id_length CHECK ((char_length(worker_id) <= 255));

DROP FUNCTION tributary._step_rules;

COMMIT;
