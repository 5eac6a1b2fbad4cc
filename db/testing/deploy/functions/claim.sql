-- Deploy tributary_test:functions/claim
-- requires: functions/_step
-- requires: functions/_explain_step
-- requires: tables/claims
--
-- The fake worker claims task p_task_name of workflow p_workflow_id for p_worker_id: that step,
-- whatever else its queue offers. The claim itself is tributary.claim_step's (attempt + 1,
-- lease, deadline, dependency results): for the length of the call the step alone is moved to
-- a queue of its own, claimed there, and put back in its queue. The row claim_step returned is
-- recorded in tributary_test.claims. Raises TB011 when the step is not claimable now (MESSAGE
-- and DETAIL say why: pending on which tasks, due when, held by which attempt), TB009/TB006 for
-- an unknown workflow or task. Returns the attempt the worker now holds. Locks the step.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.claim(
  p_workflow_id bigint,
  p_task_name text,
  p_worker_id text DEFAULT 'test-worker'
)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_step tributary.steps := tributary_test._step(p_workflow_id, p_task_name);
  v_alone text := 'tributary_test.claim/' || v_step.id;
  v_claimed record;
BEGIN
  SELECT * INTO v_step FROM tributary.steps AS s WHERE s.id = v_step.id FOR NO KEY UPDATE;
  IF v_step.state <> 'available' OR v_step.scheduled_at > tributary.now() THEN
    RAISE EXCEPTION 'task "%" of workflow % cannot be claimed now: it is %', p_task_name, p_workflow_id,
                    tributary_test._explain_step(v_step)
      USING ERRCODE = 'TB011',
            HINT = 'Complete its dependencies first, advance() the clock past its scheduled time, or end the attempt that holds it.';
  END IF;

  UPDATE tributary.steps SET queue = v_alone WHERE id = v_step.id;
  SELECT c.* INTO v_claimed FROM tributary.claim_step(v_alone, p_worker_id, 1) AS c;
  UPDATE tributary.steps SET queue = v_step.queue WHERE id = v_step.id;
  IF v_claimed.step_id IS DISTINCT FROM v_step.id THEN
    RAISE EXCEPTION 'tributary.claim_step did not claim task "%" of workflow %', p_task_name, p_workflow_id
      USING ERRCODE = 'TB011';
  END IF;

  INSERT INTO tributary_test.claims (step_id, attempt, worker_id, args, dependency_results, claimed_at)
  VALUES (v_claimed.step_id, v_claimed.attempt, p_worker_id, v_claimed.args, v_claimed.dependency_results,
          tributary.now());
  RETURN v_claimed.attempt;
END;
$$;

COMMENT ON FUNCTION tributary_test.claim(bigint, text, text) IS
  'Testing kit, fake worker: claims that task''s step through tributary.claim_step, whatever else its queue offers; returns the attempt now held. TB011 when not claimable now (the message says why).';

COMMIT;
