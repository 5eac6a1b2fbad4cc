-- Deploy tributary_test:functions/release
-- requires: functions/_running_step
-- requires: functions/step_state
--
-- The fake worker gives back the running attempt of task p_task_name, as a worker shutting
-- down does, through tributary.release_steps: available again at once, the attempt not counted.
-- TB011 when the step is not running, TB009/TB006 for an unknown workflow or task. Returns the
-- step's state afterwards ('available'). Locks the step.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.release(p_workflow_id bigint, p_task_name text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_step tributary.steps := tributary_test._running_step(p_workflow_id, p_task_name, 'release');
BEGIN
  PERFORM tributary.release_steps(ARRAY[v_step.id], ARRAY[v_step.attempt]);
  RETURN tributary_test.step_state(p_workflow_id, p_task_name);
END;
$$;

COMMENT ON FUNCTION tributary_test.release(bigint, text) IS
  'Testing kit, fake worker: gives back the running attempt of a task through tributary.release_steps (not counted); returns the state afterwards. TB011 when not running.';

COMMIT;
