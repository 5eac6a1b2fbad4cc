-- Deploy tributary:tables/steps_rules
-- requires: tables/steps_references
-- requires: grants/submitter
-- requires: grants/flow_limits
--
-- The rules every row of steps obeys, checked by one CHECK constraint (steps_rules) that calls
-- tributary._step_rules() with the written row's columns, where there were 35 CHECK constraints.
-- The rules, their names and the error of a broken one are the same: SQLSTATE 23514
-- (check_violation), constraint name and message as PostgreSQL gives them, the first broken rule
-- in name order reported (PostgreSQL checks constraints in name order).
--
-- Why: PostgreSQL reads a table's CHECK constraints from their stored form (22,449 characters of
-- node text for the 35) and prepares them again in every statement that writes the table; in a
-- one-step claim that was a fifth of the backend's time, and a chain hop writes steps in three
-- statements. A PL/pgSQL function is compiled once per session: the constraint's stored form is
-- one call (about 3,550 characters), and the rules are one expression evaluated per written row. The
-- function takes the 27 columns the rules read (in name order), not the whole row: a whole-row
-- value is built for every row, with every toasted column read back, which cost more than it
-- saved on wide rows (a fan-in's long depends_on); and a column added to steps (as the tenants
-- recipe adds one) leaves the constraint alone.
--
-- The function has no SET clause (a SET pushes and pops the configuration on every call, per
-- row, which measured more than the saving). It runs as the writing role, in its search_path:
-- so every operator, function and type in it is qualified with pg_catalog, and nothing a
-- search_path can reach changes what it means. Every role that writes steps calls it: the
-- owner, and the submitter role for direct INSERTs: its EXECUTE is granted here, with the
-- constraint, so that no deployed state has one without the other.
BEGIN;

CREATE FUNCTION tributary._step_rules(
  p_attempt integer,
  p_cancel_reason text,
  p_concurrency_key text,
  p_depends_on text[],
  p_errors jsonb,
  p_finalized_at timestamptz,
  p_kind text,
  p_lease_expires_at timestamptz,
  p_map_index integer,
  p_map_over text,
  p_map_path text,
  p_map_size integer,
  p_map_step_id bigint,
  p_max_attempts integer,
  p_queue text,
  p_remaining_deps integer,
  p_result jsonb,
  p_retry_backoff interval,
  p_run_if jsonb,
  p_run_when text,
  p_scheduled_at timestamptz,
  p_state text,
  p_task_name text,
  p_timeout interval,
  p_wait jsonb,
  p_wake_at timestamptz,
  p_worker_id text
)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
  v_rule pg_catalog.text;
BEGIN
  -- Each rule is true, or NULL where it does not apply (a CHECK passes NULL, and so does a CASE
  -- that finds no WHEN true); the first that is false names itself.
  v_rule := CASE
    WHEN NOT (p_attempt OPERATOR(pg_catalog.>=) 0 AND p_attempt OPERATOR(pg_catalog.<=) p_max_attempts)
      THEN 'steps_attempt_within_max'
    WHEN NOT ((p_max_attempts OPERATOR(pg_catalog.-) p_attempt) OPERATOR(pg_catalog.<=) 1000000)
      THEN 'steps_attempts_left_bounded'
    WHEN NOT (p_state OPERATOR(pg_catalog.<>) 'available' OR p_remaining_deps OPERATOR(pg_catalog.=) 0)
      THEN 'steps_available_means_no_remaining_deps'
    WHEN NOT ((p_state OPERATOR(pg_catalog.=) 'cancelled') OPERATOR(pg_catalog.=) (p_cancel_reason IS NOT NULL))
      THEN 'steps_cancel_reason_iff_cancelled'
    WHEN NOT (p_concurrency_key OPERATOR(pg_catalog.<>) ''
              AND pg_catalog.length(p_concurrency_key) OPERATOR(pg_catalog.<=) 255)
      THEN 'steps_concurrency_key_bounded'
    WHEN NOT (pg_catalog.array_position(p_depends_on, NULL::pg_catalog.text) IS NULL)
      THEN 'steps_depends_on_has_no_nulls'
    WHEN NOT (pg_catalog.jsonb_typeof(p_errors) OPERATOR(pg_catalog.=) 'array')
      THEN 'steps_errors_is_array'
    WHEN NOT ((p_state OPERATOR(pg_catalog.=) ANY ('{completed,discarded,cancelled,skipped}'::pg_catalog.text[]))
              OPERATOR(pg_catalog.=) (p_finalized_at IS NOT NULL))
      THEN 'steps_finalized_at_set_iff_final'
    WHEN NOT (pg_catalog.char_length(p_kind) OPERATOR(pg_catalog.<=) 255)
      THEN 'steps_kind_length'
    WHEN NOT (p_kind OPERATOR(pg_catalog.<>) '')
      THEN 'steps_kind_not_blank'
    WHEN NOT ((p_state OPERATOR(pg_catalog.=) 'running') OPERATOR(pg_catalog.=) (p_lease_expires_at IS NOT NULL))
      THEN 'steps_lease_set_iff_running'
    WHEN NOT ((p_map_step_id IS NULL) OPERATOR(pg_catalog.=) (p_map_index IS NULL)
              AND p_map_index OPERATOR(pg_catalog.>=) 0)
      THEN 'steps_map_element_has_index'
    WHEN NOT (p_map_over IS NULL OR p_map_over OPERATOR(pg_catalog.=) ANY (p_depends_on))
      THEN 'steps_map_over_is_dependency'
    WHEN NOT (p_map_path IS NULL OR p_map_over IS NOT NULL)
      THEN 'steps_map_path_needs_map_over'
    WHEN NOT (p_map_size IS NULL OR (p_map_over IS NOT NULL AND p_map_size OPERATOR(pg_catalog.>=) 0))
      THEN 'steps_map_size_needs_map_over'
    WHEN NOT (p_max_attempts OPERATOR(pg_catalog.>=) 1)
      THEN 'steps_max_attempts_positive'
    WHEN NOT (pg_catalog.char_length(p_queue) OPERATOR(pg_catalog.<=) 255)
      THEN 'steps_queue_length'
    WHEN NOT (p_queue OPERATOR(pg_catalog.<>) '')
      THEN 'steps_queue_not_blank'
    WHEN NOT (p_remaining_deps OPERATOR(pg_catalog.>=) 0)
      THEN 'steps_remaining_deps_not_negative'
    WHEN NOT (p_result IS NULL OR p_state OPERATOR(pg_catalog.=) 'completed')
      THEN 'steps_result_only_when_completed'
    WHEN NOT (p_retry_backoff OPERATOR(pg_catalog.<=) '1 year'::pg_catalog.interval)
      THEN 'steps_retry_backoff_bounded'
    WHEN NOT (p_retry_backoff OPERATOR(pg_catalog.>=) '0'::pg_catalog.interval)
      THEN 'steps_retry_backoff_not_negative'
    WHEN NOT (pg_catalog.jsonb_typeof(p_run_if) OPERATOR(pg_catalog.=) 'object')
      THEN 'steps_run_if_is_object'
    WHEN NOT (p_run_when OPERATOR(pg_catalog.=) ANY ('{all_completed,any_completed}'::pg_catalog.text[]))
      THEN 'steps_run_when_valid'
    WHEN NOT (p_state OPERATOR(pg_catalog.<>) 'running' OR p_worker_id IS NOT NULL)
      THEN 'steps_running_has_worker'
    WHEN NOT (pg_catalog.isfinite(p_scheduled_at))
      THEN 'steps_scheduled_at_finite'
    WHEN NOT (p_state OPERATOR(pg_catalog.=) ANY
              ('{pending,available,running,waiting,completed,discarded,cancelled,skipped}'::pg_catalog.text[]))
      THEN 'steps_state_valid'
    WHEN NOT (pg_catalog.char_length(p_task_name) OPERATOR(pg_catalog.<=) 255)
      THEN 'steps_task_name_length'
    WHEN NOT (p_task_name OPERATOR(pg_catalog.<>) '')
      THEN 'steps_task_name_not_blank'
    WHEN NOT (p_timeout OPERATOR(pg_catalog.<=) '1 year'::pg_catalog.interval)
      THEN 'steps_timeout_bounded'
    WHEN NOT (p_timeout OPERATOR(pg_catalog.>) '0'::pg_catalog.interval)
      THEN 'steps_timeout_positive'
    WHEN NOT (pg_catalog.jsonb_typeof(p_wait) OPERATOR(pg_catalog.=) 'object')
      THEN 'steps_wait_is_object'
    WHEN NOT (p_wait IS NULL OR p_state OPERATOR(pg_catalog.<>) ALL ('{available,running}'::pg_catalog.text[]))
      THEN 'steps_wait_never_claimed'
    WHEN NOT (p_wake_at IS NULL OR p_state OPERATOR(pg_catalog.=) 'waiting')
      THEN 'steps_wake_at_only_when_waiting'
    WHEN NOT (pg_catalog.char_length(p_worker_id) OPERATOR(pg_catalog.<=) 255)
      THEN 'steps_worker_id_length'
  END;
  IF v_rule IS NULL THEN
    RETURN true;
  END IF;
  RAISE EXCEPTION 'new row for relation "steps" violates check constraint "%"', v_rule
    USING ERRCODE = 'check_violation', SCHEMA = 'tributary', TABLE = 'steps', CONSTRAINT = v_rule;
END;
$$;

REVOKE ALL ON FUNCTION tributary._step_rules FROM PUBLIC;
SELECT tributary._grant('submitter', 'EXECUTE ON FUNCTION tributary._step_rules');

COMMENT ON FUNCTION tributary._step_rules IS
  'Internal, the CHECK constraint steps_rules: true when a row of steps obeys every rule, else 23514 naming the first broken rule (steps_kind_not_blank, ...). No SET clause: every name in it is qualified.';

ALTER TABLE tributary.steps
  DROP CONSTRAINT steps_attempt_within_max,
  DROP CONSTRAINT steps_attempts_left_bounded,
  DROP CONSTRAINT steps_available_means_no_remaining_deps,
  DROP CONSTRAINT steps_cancel_reason_iff_cancelled,
  DROP CONSTRAINT steps_concurrency_key_bounded,
  DROP CONSTRAINT steps_depends_on_has_no_nulls,
  DROP CONSTRAINT steps_errors_is_array,
  DROP CONSTRAINT steps_finalized_at_set_iff_final,
  DROP CONSTRAINT steps_kind_length,
  DROP CONSTRAINT steps_kind_not_blank,
  DROP CONSTRAINT steps_lease_set_iff_running,
  DROP CONSTRAINT steps_map_element_has_index,
  DROP CONSTRAINT steps_map_over_is_dependency,
  DROP CONSTRAINT steps_map_path_needs_map_over,
  DROP CONSTRAINT steps_map_size_needs_map_over,
  DROP CONSTRAINT steps_max_attempts_positive,
  DROP CONSTRAINT steps_queue_length,
  DROP CONSTRAINT steps_queue_not_blank,
  DROP CONSTRAINT steps_remaining_deps_not_negative,
  DROP CONSTRAINT steps_result_only_when_completed,
  DROP CONSTRAINT steps_retry_backoff_bounded,
  DROP CONSTRAINT steps_retry_backoff_not_negative,
  DROP CONSTRAINT steps_run_if_is_object,
  DROP CONSTRAINT steps_run_when_valid,
  DROP CONSTRAINT steps_running_has_worker,
  DROP CONSTRAINT steps_scheduled_at_finite,
  DROP CONSTRAINT steps_state_valid,
  DROP CONSTRAINT steps_task_name_length,
  DROP CONSTRAINT steps_task_name_not_blank,
  DROP CONSTRAINT steps_timeout_bounded,
  DROP CONSTRAINT steps_timeout_positive,
  DROP CONSTRAINT steps_wait_is_object,
  DROP CONSTRAINT steps_wait_never_claimed,
  DROP CONSTRAINT steps_wake_at_only_when_waiting,
  DROP CONSTRAINT steps_worker_id_length,
  -- Validated here: one scan of steps, the rules applied to every row (as the constraints were).
  ADD CONSTRAINT steps_rules CHECK (tributary._step_rules(
    attempt, cancel_reason, concurrency_key, depends_on, errors, finalized_at, kind, lease_expires_at,
    map_index, map_over, map_path, map_size, map_step_id, max_attempts, queue, remaining_deps, result,
    retry_backoff, run_if, run_when, scheduled_at, state, task_name, timeout, wait, wake_at, worker_id));

COMMENT ON CONSTRAINT steps_rules ON tributary.steps IS
  'Every rule of a step (tributary._step_rules): a broken rule is reported as a check_violation (23514) under its own name.';

COMMIT;
