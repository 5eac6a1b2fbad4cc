-- Deploy tributary_test:functions/step_state
-- requires: functions/_step
--
-- The state of task p_task_name in workflow p_workflow_id. TB009 unknown workflow, TB006
-- unknown task. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.step_state(p_workflow_id bigint, p_task_name text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT (tributary_test._step(p_workflow_id, p_task_name)).state $$;

COMMENT ON FUNCTION tributary_test.step_state(bigint, text) IS
  'Testing kit: the state of a task''s step in a workflow. TB009 unknown workflow, TB006 unknown task.';

COMMIT;
