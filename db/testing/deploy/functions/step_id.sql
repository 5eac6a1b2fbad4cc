-- Deploy tributary_test:functions/step_id
-- requires: functions/_step
--
-- The id of task p_task_name in workflow p_workflow_id, for calling the engine's functions
-- directly. TB009 unknown workflow, TB006 unknown task. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.step_id(p_workflow_id bigint, p_task_name text)
RETURNS bigint
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT (tributary_test._step(p_workflow_id, p_task_name)).id $$;

COMMENT ON FUNCTION tributary_test.step_id(bigint, text) IS
  'Testing kit: the id of a task''s step in a workflow. TB009 unknown workflow, TB006 unknown task.';

COMMIT;
