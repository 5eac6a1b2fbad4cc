-- Deploy tributary_test:functions/step_state_is
-- requires: functions/_step
-- requires: functions/_explain_step
-- requires: functions/_tap
--
-- pgTAP assertion: task p_task_name of workflow p_workflow_id is in state p_state (pending,
-- available, running, completed, discarded, cancelled). On failure the diagnostics say where
-- the step stands (what it waits on, when it is due, its last error, why it was cancelled). An
-- unknown workflow or task fails the test. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.step_state_is(
  p_workflow_id bigint,
  p_task_name text,
  p_state text,
  p_description text DEFAULT NULL
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_description text := coalesce(p_description,
    pg_catalog.format('task "%s" of workflow %s should be %s', p_task_name, p_workflow_id, p_state));
  v_step tributary.steps;
BEGIN
  BEGIN
    v_step := tributary_test._step(p_workflow_id, p_task_name);
  EXCEPTION WHEN SQLSTATE 'TB006' OR SQLSTATE 'TB009' THEN
    RETURN tributary_test._tap(false, v_description, SQLERRM, p_state);
  END;
  RETURN tributary_test._tap(
    v_step.state = p_state, v_description, v_step.state, p_state,
    ARRAY[pg_catalog.format('task "%s": %s', p_task_name, tributary_test._explain_step(v_step))]);
END;
$$;

COMMENT ON FUNCTION tributary_test.step_state_is(bigint, text, text, text) IS
  'Testing kit, pgTAP assertion: the task''s step is in state p_state; on failure, diagnostics with where it stands.';

COMMIT;
