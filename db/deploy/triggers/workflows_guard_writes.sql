-- Deploy tributary:triggers/workflows_guard_writes
-- requires: tables/workflows
--
-- Only the engine changes or deletes a workflow row: its functions run as the schema owner
-- (SECURITY DEFINER), and any other role that UPDATEs or DELETEs a row -- because someone granted
-- it table privileges the group roles do not have -- is refused with TB013, before anything
-- changes. tg_refuse_direct_write() is shared with the guard of step_dependencies.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.tg_refuse_direct_write()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET jit = off
AS $$
BEGIN
  RAISE EXCEPTION '% on %.% refused: only the engine''s functions write this table', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'TB013',
          DETAIL = pg_catalog.format('role %s is not the owner of the schema', CURRENT_USER),
          HINT = 'Call the function that makes this change (create_workflow, cancel_workflow, retry_workflow, prune_finished, ...).';
END;
$$;

COMMENT ON FUNCTION tributary.tg_refuse_direct_write() IS
  'Trigger: refuses (TB013) a write to an engine table by any role but the schema owner, whose functions make every state transition.';

-- The owner's name is written into the WHEN clause (a trigger's WHEN cannot read the catalog).
DO $$
BEGIN
  EXECUTE pg_catalog.format(
    'CREATE TRIGGER _010_guard_writes BEFORE UPDATE OR DELETE ON tributary.workflows FOR EACH ROW '
    'WHEN (CURRENT_USER <> %L) EXECUTE FUNCTION tributary.tg_refuse_direct_write()',
    (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class AS c WHERE c.oid = 'tributary.workflows'::regclass));
END
$$;

COMMENT ON TRIGGER _010_guard_writes ON tributary.workflows IS
  'Refuses (TB013) an UPDATE or DELETE by any role but the owner: workflows change only through the engine''s functions.';

COMMIT;
