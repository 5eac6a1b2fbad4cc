-- Deploy tributary:functions/retry_step
-- requires: functions/_reopen_steps
--
-- Admin: re-runs one discarded or cancelled step and the steps that were cancelled downstream
-- of it, keeping every completed result. Raises TB006 for an unknown step, and TB011 when the
-- step is not discarded/cancelled, depends on a step that is itself discarded/cancelled (retry
-- that one, or the workflow), or belongs to a cancelled workflow (retry the workflow). Returns the number of steps reopened.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.retry_step(p_step_id bigint)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
DECLARE
  v_step tributary.steps;
  v_blocker text;
BEGIN
  SELECT * INTO v_step FROM tributary.steps AS s WHERE s.id = p_step_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'step % does not exist', p_step_id USING ERRCODE = 'TB006';
  END IF;
  IF EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.id = v_step.workflow_id AND w.cancelled_at IS NOT NULL) THEN
    RAISE EXCEPTION 'workflow % was cancelled: its steps are retried together', v_step.workflow_id
      USING ERRCODE = 'TB011',
            HINT = 'Use retry_workflow() to run the cancelled workflow again.';
  END IF;
  IF v_step.state NOT IN ('discarded', 'cancelled') THEN
    RAISE EXCEPTION 'step % (task "%") is %: only discarded or cancelled steps can be retried',
                    p_step_id, v_step.task_name, v_step.state
      USING ERRCODE = 'TB011';
  END IF;
  SELECT p.task_name INTO v_blocker
  FROM tributary.step_dependencies AS d
  JOIN tributary.steps AS p ON p.id = d.depends_on_step_id
  WHERE d.step_id = p_step_id AND p.state IN ('discarded', 'cancelled')
  ORDER BY p.id
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'step % (task "%") cannot run: it depends on task "%", which is not completed',
                    p_step_id, v_step.task_name, v_blocker
      USING ERRCODE = 'TB011',
            HINT = 'Retry that step, or the whole workflow with retry_workflow().';
  END IF;
  RETURN tributary._reopen_steps(v_step.workflow_id, ARRAY[p_step_id]);
END;
$$;

COMMENT ON FUNCTION tributary.retry_step(bigint) IS
  'Admin: re-runs a discarded/cancelled step and the steps cancelled downstream of it, keeping completed results. TB006 unknown step, TB011 wrong state. Returns steps reopened.';

COMMIT;
