-- Deploy tributary:functions/reserve_workflow_ids
-- requires: tables/workflows
--
-- Draws p_count workflow ids from the workflows' identity sequence, for a client that must know
-- a workflow's id before creating it: the Python EncryptHook binds sealed args to the workflow,
-- so args copied onto another workflow's step do not open. Pass each id once as the "id" of a
-- create_workflows() element. An id reserved and never used is simply skipped (sequences have
-- gaps). TB012 for a count below 1 or above 10,000.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.reserve_workflow_ids(p_count integer)
RETURNS bigint[]
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  IF p_count IS NULL OR p_count < 1 OR p_count > 10000 THEN
    RAISE EXCEPTION 'count must be between 1 and 10000, got %', coalesce(p_count::text, 'NULL')
      USING ERRCODE = 'TB012';
  END IF;
  RETURN ARRAY(SELECT pg_catalog.nextval('tributary.workflows_id_seq'::regclass)
               FROM pg_catalog.generate_series(1, p_count));
END;
$$;

COMMENT ON FUNCTION tributary.reserve_workflow_ids(integer) IS
  'Draws p_count (1..10000) workflow ids to pass as "id" to create_workflows, so a client knows a workflow''s id before it exists (encryption binds args to it). TB012 out of range.';

COMMIT;
