-- Deploy tributary:functions/retry_workflow
-- requires: functions/_reopen_steps
--
-- Admin: re-runs every discarded or cancelled step of a workflow (and so everything downstream
-- of them), keeping completed results; the workflow is running again. Returns the number of
-- steps reopened (0 when none had failed). TB009 for an unknown workflow.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.retry_workflow(p_workflow_id bigint)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
DECLARE
  v_roots bigint[];
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.id = p_workflow_id) THEN
    RAISE EXCEPTION 'workflow % does not exist', p_workflow_id USING ERRCODE = 'TB009';
  END IF;
  SELECT pg_catalog.array_agg(s.id) INTO v_roots
  FROM tributary.steps AS s
  WHERE s.workflow_id = p_workflow_id AND s.state IN ('discarded', 'cancelled');
  IF v_roots IS NULL THEN
    RETURN 0;
  END IF;
  RETURN tributary._reopen_steps(p_workflow_id, v_roots);
END;
$$;

COMMENT ON FUNCTION tributary.retry_workflow(bigint) IS
  'Admin: re-runs every discarded/cancelled step of a workflow, keeping completed results. Returns steps reopened. TB009 unknown workflow.';

COMMIT;
