-- Deploy tributary_test:functions/_running_step
-- requires: functions/_step
-- requires: functions/_explain_step
--
-- The step of task p_task_name in workflow p_workflow_id, which must be running (held by an
-- attempt the fake worker can end); p_action names the caller in the TB011 raised otherwise.
-- TB009/TB006 for an unknown workflow or task. Locks nothing: the engine function the caller
-- goes on to call locks and fences the step.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test._running_step(p_workflow_id bigint, p_task_name text, p_action text)
RETURNS tributary.steps
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_step tributary.steps := tributary_test._step(p_workflow_id, p_task_name);
BEGIN
  IF v_step.state <> 'running' THEN
    RAISE EXCEPTION 'cannot % task "%" of workflow %: it is %, not running', p_action, p_task_name, p_workflow_id,
                    tributary_test._explain_step(v_step)
      USING ERRCODE = 'TB011', HINT = 'Claim it first with tributary_test.claim().';
  END IF;
  RETURN v_step;
END;
$$;

COMMENT ON FUNCTION tributary_test._running_step(bigint, text, text) IS
  'Testing kit, internal: a task''s step that must be running; TB011 otherwise (the message says where it stands).';

COMMIT;
