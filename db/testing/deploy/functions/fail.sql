-- Deploy tributary_test:functions/fail
-- requires: functions/_running_step
--
-- The fake worker fails the running attempt of task p_task_name with p_error (a jsonb object,
-- conventionally {"message": ...}, or a string), through tributary.fail_step: retried after its
-- backoff while retryable with attempts left, else discarded with everything downstream
-- cancelled. TB011 when the step is not running, TB009/TB006 for an unknown workflow or task.
-- Returns the step's state afterwards ('available' or 'discarded'). Locks the step.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.fail(
  p_workflow_id bigint,
  p_task_name text,
  p_error jsonb DEFAULT '{"message": "failed by tributary_test.fail"}',
  p_retryable boolean DEFAULT true
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_step tributary.steps := tributary_test._running_step(p_workflow_id, p_task_name, 'fail');
BEGIN
  RETURN tributary.fail_step(v_step.id, v_step.attempt, p_error, p_retryable);
END;
$$;

COMMENT ON FUNCTION tributary_test.fail(bigint, text, jsonb, boolean) IS
  'Testing kit, fake worker: fails the running attempt of a task with p_error through tributary.fail_step; returns the state afterwards (available or discarded). TB011 when not running.';

COMMIT;
