-- Deploy tributary_test:functions/_workflow
-- requires: schema
--
-- Workflow p_workflow_id, found by primary key; TB009 when it does not exist. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test._workflow(p_workflow_id bigint)
RETURNS tributary.workflows
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_workflow tributary.workflows;
BEGIN
  SELECT * INTO v_workflow FROM tributary.workflows AS w WHERE w.id = p_workflow_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'workflow % does not exist', coalesce(p_workflow_id::text, 'NULL')
      USING ERRCODE = 'TB009';
  END IF;
  RETURN v_workflow;
END;
$$;

COMMENT ON FUNCTION tributary_test._workflow(bigint) IS
  'Testing kit, internal: a workflow by id; TB009 when it does not exist.';

COMMIT;
