-- Deploy tributary:triggers/step_dependencies_guard_writes
-- requires: tables/step_dependencies
-- requires: triggers/workflows_guard_writes
--
-- Only the engine writes edges (when it resolves a graph; they go with their steps): any other
-- role that INSERTs, UPDATEs or DELETEs one -- say, an edge from a step to another workflow's
-- step -- is refused with TB013.
BEGIN;

DO $$
BEGIN
  EXECUTE pg_catalog.format(
    'CREATE TRIGGER _010_guard_writes BEFORE INSERT OR UPDATE OR DELETE ON tributary.step_dependencies FOR EACH ROW '
    'WHEN (CURRENT_USER <> %L) EXECUTE FUNCTION tributary.tg_refuse_direct_write()',
    (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class AS c WHERE c.oid = 'tributary.step_dependencies'::regclass));
END
$$;

COMMENT ON TRIGGER _010_guard_writes ON tributary.step_dependencies IS
  'Refuses (TB013) any write by a role but the owner: edges are written only when the engine resolves a graph.';

COMMIT;
