-- Deploy tributary_test:functions/_step
-- requires: functions/_workflow
--
-- The step of task p_task_name in workflow p_workflow_id, found by the unique (workflow_id,
-- task_name) index. Raises TB009 when the workflow does not exist and TB006 when it has no such
-- task (DETAIL lists its tasks). Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test._step(p_workflow_id bigint, p_task_name text)
RETURNS tributary.steps
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_step tributary.steps;
BEGIN
  SELECT * INTO v_step FROM tributary.steps AS s WHERE s.workflow_id = p_workflow_id AND s.task_name = p_task_name;
  IF FOUND THEN
    RETURN v_step;
  END IF;
  PERFORM tributary_test._workflow(p_workflow_id);
  RAISE EXCEPTION 'workflow % has no task "%"', p_workflow_id, p_task_name
    USING ERRCODE = 'TB006',
          DETAIL = pg_catalog.format('Its tasks: %s.', (
            SELECT coalesce(pg_catalog.string_agg(pg_catalog.format('"%s"', s.task_name), ', ' ORDER BY s.task_name), 'none')
            FROM tributary.steps AS s WHERE s.workflow_id = p_workflow_id));
END;
$$;

COMMENT ON FUNCTION tributary_test._step(bigint, text) IS
  'Testing kit, internal: the step of a task of a workflow; TB009 unknown workflow, TB006 unknown task.';

COMMIT;
