-- Deploy tributary:triggers/workflows_resolve_at_commit
-- requires: triggers/workflows_resolve_at_commit@v0.1.0
-- requires: functions/_resolve_workflows
-- requires: indexes/workflows_unresolved
--
-- A workflow inserted directly (a plain INSERT, COPY) has its graph resolved and validated when
-- the transaction commits, after all its steps are in: the same checks as create_workflow(), and
-- a failed check makes the COMMIT fail with that error. Two triggers: one resets the engine
-- columns a caller may have set (so the workflow starts running and unresolved), one deferred
-- constraint trigger per such workflow resolves it at COMMIT. The resolution is set-based over
-- every workflow of the transaction: the first deferred trigger that fires resolves all the
-- workflows the transaction inserted and left unresolved (read from workflows_unresolved_idx;
-- other transactions' unresolved rows are invisible to it), in one call of _resolve_workflows;
-- the later firings find their workflow resolved and do nothing. create_workflow() resolves its
-- workflow itself (marked by the setting tributary.creating_workflow) and fires neither. The
-- setting counts only when the current role is the schema owner, as inside create_workflow()
-- (SECURITY DEFINER): a workflow any other role inserts is reset and resolved whatever it set.
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

-- The owner's name is written into the WHEN clause (a trigger's WHEN cannot read the catalog).
DROP TRIGGER _050_reset_direct_insert ON tributary.workflows;
DO $$
BEGIN
  EXECUTE pg_catalog.format(
    'CREATE TRIGGER _050_reset_direct_insert BEFORE INSERT ON tributary.workflows FOR EACH ROW '
    'WHEN (pg_catalog.current_setting(''tributary.creating_workflow'', true) IS DISTINCT FROM ''on'' '
    'OR CURRENT_USER <> %L) EXECUTE FUNCTION tributary.tg_workflows__reset_direct_insert()',
    (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class AS c WHERE c.oid = 'tributary.workflows'::regclass));
END
$$;

COMMENT ON TRIGGER _050_reset_direct_insert ON tributary.workflows IS
  'Resets the engine columns of a directly inserted workflow, so it is resolved at COMMIT.';

CREATE OR REPLACE FUNCTION tributary.tg_workflows__resolve_at_commit()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.id = NEW.id AND w.steps_total IS NULL) THEN
    PERFORM tributary._resolve_workflows(ARRAY(
      SELECT w.id FROM tributary.workflows AS w WHERE w.steps_total IS NULL ORDER BY w.id));
  END IF;
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION tributary.tg_workflows__resolve_at_commit() IS
  'Trigger: at COMMIT, resolves and validates the graphs of every workflow the transaction inserted directly, in one set-based pass.';

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
