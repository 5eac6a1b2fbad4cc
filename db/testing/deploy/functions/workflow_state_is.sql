-- Deploy tributary_test:functions/workflow_state_is
-- requires: functions/_workflow
-- requires: functions/_explain_step
-- requires: functions/_tap
--
-- pgTAP assertion: workflow p_workflow_id is in state p_state (running, completed, failed,
-- cancelled). On failure the diagnostics give the state it is in and where each of its steps
-- stands. An unknown workflow fails the test (it does not raise). Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.workflow_state_is(
  p_workflow_id bigint,
  p_state text,
  p_description text DEFAULT NULL
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_description text := coalesce(p_description, pg_catalog.format('workflow %s should be %s', p_workflow_id, p_state));
  v_workflow tributary.workflows;
BEGIN
  BEGIN
    v_workflow := tributary_test._workflow(p_workflow_id);
  EXCEPTION WHEN SQLSTATE 'TB009' THEN
    RETURN tributary_test._tap(false, v_description, SQLERRM, p_state);
  END;
  RETURN tributary_test._tap(
    v_workflow.state = p_state, v_description, v_workflow.state, p_state,
    ARRAY(SELECT pg_catalog.format('task "%s": %s', s.task_name, tributary_test._explain_step(s))
          FROM tributary.steps AS s WHERE s.workflow_id = p_workflow_id ORDER BY s.id));
END;
$$;

COMMENT ON FUNCTION tributary_test.workflow_state_is(bigint, text, text) IS
  'Testing kit, pgTAP assertion: the workflow is in state p_state; on failure, diagnostics with where each step stands.';

COMMIT;
