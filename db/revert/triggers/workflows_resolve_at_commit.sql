-- Revert tributary:triggers/workflows_resolve_at_commit to its @v0.1.0 form (one call per workflow)
BEGIN;

CREATE OR REPLACE FUNCTION tributary.tg_workflows__resolve_at_commit()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET jit = off
AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.id = NEW.id AND w.steps_total IS NULL) THEN
    PERFORM tributary._resolve_workflow(NEW.id);
  END IF;
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION tributary.tg_workflows__resolve_at_commit() IS
  'Trigger: at COMMIT, resolves and validates the graph of a workflow whose steps were inserted directly.';

COMMIT;
