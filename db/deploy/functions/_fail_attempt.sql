-- Deploy tributary:functions/_fail_attempt
-- requires: functions/_backoff
-- requires: functions/_cancel_downstream
-- requires: functions/_settle_workflows
-- requires: functions/_notify_available
--
-- Records a failed attempt of a running step the caller has locked: appends an entry to its
-- error history; with p_retryable and attempts left, makes it available again at
-- now() + backoff; otherwise discards it, cancels every step downstream of it (they can never
-- run) and settles the workflow. Returns the step's new state: 'available' or 'discarded'.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._fail_attempt(p_step tributary.steps, p_error jsonb, p_retryable boolean)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_entry jsonb;
  v_retry_at timestamptz;
  v_cancelled bigint[];
BEGIN
  -- The caller's error first, the engine's facts last: they win over keys of the same name.
  v_entry := CASE pg_catalog.jsonb_typeof(p_error)
               WHEN 'object' THEN p_error
               ELSE pg_catalog.jsonb_build_object('message', coalesce(p_error #>> '{}', 'unknown error'))
             END
             || pg_catalog.jsonb_build_object(
                  'attempt', p_step.attempt, 'at', v_now, 'worker_id', p_step.worker_id,
                  'retryable', coalesce(p_retryable, true));

  IF coalesce(p_retryable, true) AND p_step.attempt < p_step.max_attempts THEN
    v_retry_at := v_now + tributary._backoff(p_step.attempt, p_step.retry_backoff);
    UPDATE tributary.steps
    SET state = 'available',
        scheduled_at = v_retry_at,
        errors = errors || v_entry,
        lease_expires_at = NULL,
        deadline_at = NULL
    WHERE id = p_step.id;
    IF v_retry_at <= v_now THEN
      PERFORM tributary._notify_available(ARRAY[p_step.queue]);
    END IF;
    RETURN 'available';
  END IF;

  UPDATE tributary.steps
  SET state = 'discarded',
      errors = errors || v_entry,
      finalized_at = v_now,
      lease_expires_at = NULL,
      deadline_at = NULL
  WHERE id = p_step.id;
  v_cancelled := tributary._cancel_downstream(
    p_step.id, pg_catalog.format('upstream step "%s" was discarded', p_step.task_name));
  PERFORM tributary._settle_workflows(
    pg_catalog.array_fill(p_step.workflow_id, ARRAY[1 + pg_catalog.cardinality(v_cancelled)]));
  RETURN 'discarded';
END;
$$;

COMMENT ON FUNCTION tributary._fail_attempt(tributary.steps, jsonb, boolean) IS
  'Internal: records a failed attempt of a locked running step; retries it after backoff or discards it and cancels its downstream steps. Returns available | discarded.';

COMMIT;
