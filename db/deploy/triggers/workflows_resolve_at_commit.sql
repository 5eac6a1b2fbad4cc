-- Deploy tributary:triggers/workflows_resolve_at_commit
-- requires: functions/_resolve_workflow
--
-- A workflow inserted directly (steps_total NULL) has its graph resolved and validated when the
-- transaction commits, after all its steps are in: the same checks as create_workflow(), and a
-- failed check makes the COMMIT fail with that error. A deferred constraint trigger, one event
-- per directly inserted workflow.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.tg_workflows__resolve_at_commit()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
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

CREATE CONSTRAINT TRIGGER _100_resolve_at_commit
  AFTER INSERT ON tributary.workflows
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW
  WHEN (NEW.steps_total IS NULL)
  EXECUTE FUNCTION tributary.tg_workflows__resolve_at_commit();

COMMENT ON TRIGGER _100_resolve_at_commit ON tributary.workflows IS
  'Deferred to COMMIT: resolves a directly inserted workflow''s graph exactly as create_workflow() does.';

COMMIT;
