-- Deploy tributary:functions/_check_attempt
-- requires: tables/steps
--
-- The fence of every single-step worker call: locks the step and returns it when attempt
-- p_attempt holds it (state running at that attempt); otherwise raises TB006 (no such step),
-- TB008 (the step was cancelled during that attempt) or TB007 (the attempt is stale: the lease
-- was lost and the step was rescued, retried or finished since). Locks the step row.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._check_attempt(p_step_id bigint, p_attempt integer)
RETURNS tributary.steps
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
  v_step tributary.steps;
BEGIN
  SELECT * INTO v_step FROM tributary.steps AS s WHERE s.id = p_step_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'step % does not exist', p_step_id
      USING ERRCODE = 'TB006';
  END IF;
  IF v_step.state = 'running' AND v_step.attempt = p_attempt THEN
    RETURN v_step;
  END IF;
  IF v_step.state = 'cancelled' AND v_step.attempt = p_attempt THEN
    RAISE EXCEPTION 'step % (task "%") was cancelled: %', p_step_id, v_step.task_name, v_step.cancel_reason
      USING ERRCODE = 'TB008',
            HINT = 'Stop working on it; its result is not wanted any more.';
  END IF;
  RAISE EXCEPTION 'attempt % of step % (task "%") is stale: the step is % at attempt %',
                  p_attempt, p_step_id, v_step.task_name, v_step.state, v_step.attempt
    USING ERRCODE = 'TB007',
          HINT = 'The lease was lost (the step was rescued or retried) or the attempt already reported; this call changed nothing.';
END;
$$;

COMMENT ON FUNCTION tributary._check_attempt(bigint, integer) IS
  'Internal: locks a step and returns it when p_attempt holds it; raises TB006 unknown step, TB008 cancelled, TB007 stale attempt.';

COMMIT;
