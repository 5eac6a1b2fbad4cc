-- Deploy tributary:functions/_resolve_workflow
-- requires: functions/_resolve_workflow@v0.1.0
-- requires: functions/_resolve_workflows
--
-- Resolves one directly inserted workflow: the one-workflow case of _resolve_workflows(), where
-- the rule lives. Locks the workflow row.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._resolve_workflow(p_workflow_id bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  PERFORM tributary._resolve_workflows(ARRAY[p_workflow_id]);
END;
$$;

COMMENT ON FUNCTION tributary._resolve_workflow(bigint) IS
  'Internal: validates a new workflow''s graph (TB004 empty, TB002 unknown dependency, TB001 cycle), writes its edges and counters, makes its root steps available; the one-workflow case of _resolve_workflows.';

COMMIT;
