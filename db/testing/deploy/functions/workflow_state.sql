-- Deploy tributary_test:functions/workflow_state
-- requires: functions/_workflow
--
-- The state of workflow p_workflow_id. TB009 when it does not exist. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.workflow_state(p_workflow_id bigint)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT (tributary_test._workflow(p_workflow_id)).state $$;

COMMENT ON FUNCTION tributary_test.workflow_state(bigint) IS
  'Testing kit: the state of a workflow. TB009 when it does not exist.';

COMMIT;
