-- Revert tributary:triggers/workflows_resolve_at_commit
--
-- Back to the v0.1.0 triggers and trigger functions: one resolve call per workflow, and
-- creating_workflow not tied to the owner.
--
-- A workflow inserted directly (a plain INSERT) has its graph resolved and validated when the
-- transaction commits, after all its steps are in: the same checks as create_workflow(), and a
-- failed check makes the COMMIT fail with that error. Two triggers: one resets the engine
-- columns a caller may have set (so the workflow starts running and unresolved), one deferred
-- constraint trigger per such workflow resolves it at COMMIT. create_workflow() resolves its
-- workflow itself (marked by the setting tributary.creating_workflow) and fires neither.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.tg_workflows__reset_direct_insert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET jit = off
AS $$
BEGIN
  NEW.state := 'running';
  NEW.steps_total := NULL;
  NEW.steps_unfinished := NULL;
  NEW.cancelled_at := NULL;
  NEW.finalized_at := NULL;
  RETURN NEW;
END;
$$;

COMMENT ON FUNCTION tributary.tg_workflows__reset_direct_insert() IS
  'Trigger: a directly inserted workflow starts running and unresolved, whatever engine columns the caller set.';

DROP TRIGGER _050_reset_direct_insert ON tributary.workflows;
CREATE TRIGGER _050_reset_direct_insert
  BEFORE INSERT ON tributary.workflows
  FOR EACH ROW
  WHEN (pg_catalog.current_setting('tributary.creating_workflow', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION tributary.tg_workflows__reset_direct_insert();

COMMENT ON TRIGGER _050_reset_direct_insert ON tributary.workflows IS
  'Resets the engine columns of a directly inserted workflow, so it is resolved at COMMIT.';

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

DROP TRIGGER _100_resolve_at_commit ON tributary.workflows;
CREATE CONSTRAINT TRIGGER _100_resolve_at_commit
  AFTER INSERT ON tributary.workflows
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW
  WHEN (NEW.steps_total IS NULL)
  EXECUTE FUNCTION tributary.tg_workflows__resolve_at_commit();

COMMENT ON TRIGGER _100_resolve_at_commit ON tributary.workflows IS
  'Deferred to COMMIT: resolves a directly inserted workflow''s graph exactly as create_workflow() does.';

COMMIT;
