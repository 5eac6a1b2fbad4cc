-- Deploy tributary_test:functions/complete
-- requires: functions/_running_step
-- requires: functions/step_state
--
-- The fake worker completes the running attempt of task p_task_name with p_result, through
-- tributary.complete_step (dependents unlock, the workflow may finalize). TB011 when the step is
-- not running, TB009/TB006 for an unknown workflow or task. Returns the step's state afterwards
-- ('completed'). Locks the step (complete_step does).
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.complete(
  p_workflow_id bigint,
  p_task_name text,
  p_result jsonb DEFAULT '{}'
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_step tributary.steps := tributary_test._running_step(p_workflow_id, p_task_name, 'complete');
BEGIN
  PERFORM tributary.complete_step(v_step.id, v_step.attempt, p_result);
  RETURN tributary_test.step_state(p_workflow_id, p_task_name);
END;
$$;

COMMENT ON FUNCTION tributary_test.complete(bigint, text, jsonb) IS
  'Testing kit, fake worker: completes the running attempt of a task with p_result through tributary.complete_step; returns the state afterwards. TB011 when not running.';

COMMIT;
