-- Deploy tributary_test:functions/run
-- requires: functions/claim
-- requires: functions/complete
--
-- The fake worker claims task p_task_name of workflow p_workflow_id and completes it with
-- p_result, as claim() then complete() do. Returns the attempt that completed it. Errors as
-- for claim(). Locks the step.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.run(p_workflow_id bigint, p_task_name text, p_result jsonb DEFAULT '{}')
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_attempt integer := tributary_test.claim(p_workflow_id, p_task_name);
BEGIN
  PERFORM tributary_test.complete(p_workflow_id, p_task_name, p_result);
  RETURN v_attempt;
END;
$$;

COMMENT ON FUNCTION tributary_test.run(bigint, text, jsonb) IS
  'Testing kit, fake worker: claims a task''s step and completes it with p_result; returns the attempt used. TB011 when not claimable now.';

COMMIT;
