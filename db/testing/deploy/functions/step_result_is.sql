-- Deploy tributary_test:functions/step_result_is
-- requires: functions/_step
-- requires: functions/_explain_step
-- requires: functions/_tap
--
-- pgTAP assertion: the stored result of task p_task_name of workflow p_workflow_id equals
-- p_result (jsonb equality: key order and spacing do not matter; NULL matches a step without a
-- result). On failure the diagnostics give the result it has and where the step stands. An
-- unknown workflow or task fails the test. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.step_result_is(
  p_workflow_id bigint,
  p_task_name text,
  p_result jsonb,
  p_description text DEFAULT NULL
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_description text := coalesce(p_description,
    pg_catalog.format('task "%s" of workflow %s should have result %s', p_task_name, p_workflow_id,
                      coalesce(p_result::text, 'NULL')));
  v_step tributary.steps;
BEGIN
  BEGIN
    v_step := tributary_test._step(p_workflow_id, p_task_name);
  EXCEPTION WHEN SQLSTATE 'TB006' OR SQLSTATE 'TB009' THEN
    RETURN tributary_test._tap(false, v_description, SQLERRM, p_result::text);
  END;
  RETURN tributary_test._tap(
    v_step.result IS NOT DISTINCT FROM p_result, v_description, v_step.result::text, p_result::text,
    ARRAY[pg_catalog.format('task "%s": %s', p_task_name, tributary_test._explain_step(v_step))]);
END;
$$;

COMMENT ON FUNCTION tributary_test.step_result_is(bigint, text, jsonb, text) IS
  'Testing kit, pgTAP assertion: the task''s stored result equals p_result (jsonb equality); on failure, diagnostics with the result it has.';

COMMIT;
