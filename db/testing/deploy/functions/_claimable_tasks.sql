-- Deploy tributary_test:functions/_claimable_tasks
-- requires: schema
--
-- The tasks of workflow p_workflow_id a worker could claim now, sorted by name, as
-- tributary.claim_step itself decides: every queue holding an available step of the workflow is
-- claimed in full inside a subtransaction that is then rolled back, so nothing changes. Steps
-- locked by other sessions are not claimable now and are left out. Locks nothing after it
-- returns.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test._claimable_tasks(p_workflow_id bigint)
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_tasks text[] := '{}';
  v_queue text;
BEGIN
  BEGIN
    FOR v_queue IN
      SELECT DISTINCT s.queue FROM tributary.steps AS s WHERE s.workflow_id = p_workflow_id AND s.state = 'available'
    LOOP
      v_tasks := v_tasks || ARRAY(
        SELECT c.task_name FROM tributary.claim_step(v_queue, 'tributary_test.steps_claimable_are', 2147483647) AS c
        WHERE c.workflow_id = p_workflow_id);
    END LOOP;
    RAISE EXCEPTION 'rolls the probe back' USING ERRCODE = 'TB999';
  EXCEPTION WHEN SQLSTATE 'TB999' THEN
    NULL;  -- the claims are undone; v_tasks keeps what they returned
  END;
  RETURN ARRAY(SELECT t FROM unnest(v_tasks) AS t ORDER BY t);
END;
$$;

COMMENT ON FUNCTION tributary_test._claimable_tasks(bigint) IS
  'Testing kit, internal: the tasks of a workflow tributary.claim_step would claim now (probed in a rolled-back subtransaction), sorted.';

COMMIT;
