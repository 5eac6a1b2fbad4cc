-- Deploy tributary:functions/rescue_expired_steps
-- requires: functions/_fail_attempt
--
-- Takes back running steps whose lease expired (the worker died, hung, or ran past its
-- timeout): each counts as a failed, retryable attempt (error reason "lease_expired" or
-- "timeout"), so it is retried after backoff or, with no attempts left, discarded. Reads only
-- the lease index. Uses SKIP LOCKED, so every worker may call it at once; handles at most
-- p_limit steps per call. Returns the number of steps rescued. A step that cannot be rescued (a
-- row made inconsistent by a direct write) raises a WARNING naming it and is skipped; the others
-- are rescued all the same.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.rescue_expired_steps(p_limit integer DEFAULT 1000)
RETURNS integer
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
  v_step tributary.steps;
  v_count integer := 0;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 THEN
    RAISE EXCEPTION 'limit must be at least 1, got %', p_limit USING ERRCODE = 'TB012';
  END IF;
  FOR v_step IN
    SELECT * FROM tributary.steps AS s
    WHERE s.state = 'running' AND s.lease_expires_at < v_now
    ORDER BY s.lease_expires_at, s.id
    LIMIT p_limit
    FOR NO KEY UPDATE SKIP LOCKED
  LOOP
    -- One step's failure (a row made inconsistent by hand) must not stop every other rescue:
    -- each step is rescued in its own subtransaction, and one that cannot be is reported and
    -- skipped. Rescues are rare; the subtransaction costs nothing on the claim path.
    BEGIN
      PERFORM tributary._fail_attempt(
        v_step,
        CASE WHEN v_step.deadline_at <= v_now
          THEN pg_catalog.jsonb_build_object(
                 'message', pg_catalog.format('attempt timed out after %s', v_step.timeout),
                 'reason', 'timeout')
          ELSE pg_catalog.jsonb_build_object(
                 'message', pg_catalog.format('lease expired: worker %s stopped heartbeating', coalesce(v_step.worker_id, '?')),
                 'reason', 'lease_expired')
        END,
        true);
      v_count := v_count + 1;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'step % (task "%") cannot be rescued: % (SQLSTATE %)', v_step.id, v_step.task_name, SQLERRM, SQLSTATE
        USING HINT = 'The row breaks an engine invariant; inspect it and cancel or fix its workflow.';
    END;
  END LOOP;
  RETURN v_count;
END;
$$;

COMMENT ON FUNCTION tributary.rescue_expired_steps(integer) IS
  'Treats running steps whose lease expired (dead or hung worker, timeout) as failed retryable attempts. SKIP LOCKED: safe from every worker at once. Returns how many it rescued.';

COMMIT;
