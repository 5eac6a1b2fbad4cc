-- Deploy tributary:tables/steps_references
-- requires: tables/step_dependencies
-- requires: triggers/steps_check_direct_insert
-- requires: triggers/steps_guard_writes
-- requires: triggers/step_dependencies_guard_writes
-- requires: grants/public
--
-- The references of steps (to their workflow) and of edges (to their two steps) are kept by the
-- engine, not by foreign keys. A foreign-key check is a query and a row lock (FOR KEY SHARE, a
-- WAL record) per inserted row: three per step of a chain, a third of the time of a bulk
-- creation, and one more statement in a chain hop (the claim re-checks the workflow of a step the
-- same transaction unlocked). What the foreign keys guaranteed still holds for every write but
-- the owner's own INSERTs (the owner is trusted, as docs/sql-api.md#direct-writes says):
-- - no edge points at nothing: only the owner writes step_dependencies (TB013 for any other
--   role), and the engine writes an edge only between two steps of one workflow that it inserted
--   or read in the same statement; no edge is ever updated, by anyone (TB013);
-- - no step points at nothing: the engine inserts a workflow's steps with the workflow or into a
--   running one (maps, children), and a step inserted directly is refused (23503, as the foreign
--   key did) by its trigger when its workflow does not exist; nobody changes a step's id or
--   workflow_id, or a workflow's id (TB013);
-- - deleting a workflow deletes its steps and their edges (ON DELETE CASCADE did): the statement
--   triggers below, set-based over every row the statement deleted; a TRUNCATE of workflows
--   truncates steps and edges, one of steps truncates edges (as the truncating role: it needs the
--   privilege on each). A step is never deleted on its own (TB013), and no foreign key refers to
--   steps or step_dependencies any more. events keeps its foreign key.
-- Row-level security applies to the delete triggers' DELETEs (they run as the owner, whom FORCE
-- subjects to the policies; a foreign key's cascade bypassed them): a policy on steps must let a
-- session that deletes a workflow delete all of its steps (examples/tenants.sql does, FOR DELETE).
BEGIN;

ALTER TABLE tributary.step_dependencies
  DROP CONSTRAINT step_dependencies_step_id_fkey,
  DROP CONSTRAINT step_dependencies_depends_on_step_id_fkey;
ALTER TABLE tributary.steps DROP CONSTRAINT steps_workflow_id_fkey;

CREATE FUNCTION tributary.tg_workflows__delete_steps()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $$
DECLARE
  v_ids bigint[] := ARRAY(SELECT g.id FROM deleted_workflows AS g);
BEGIN
  -- A statement trigger fires for a statement that deleted nothing too (prune_finished with
  -- nothing due): then no DELETE runs, and the trigger on steps does not fire.
  IF pg_catalog.cardinality(v_ids) > 0 THEN
    -- By key: steps by workflow_id (the unique index on workflow_id, task_name).
    DELETE FROM tributary.steps AS s WHERE s.workflow_id = ANY (v_ids);
  END IF;
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION tributary.tg_workflows__delete_steps() IS
  'Trigger: deletes the steps of the workflows a statement deleted (their edges go with them, see tg_steps__delete_dependencies).';

CREATE TRIGGER _900_delete_steps AFTER DELETE ON tributary.workflows
  REFERENCING OLD TABLE AS deleted_workflows
  FOR EACH STATEMENT EXECUTE FUNCTION tributary.tg_workflows__delete_steps();

COMMENT ON TRIGGER _900_delete_steps ON tributary.workflows IS
  'A deleted workflow takes its steps with it, in one statement per deleting statement.';

CREATE FUNCTION tributary.tg_steps__delete_dependencies()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $$
DECLARE
  v_ids bigint[] := ARRAY(SELECT g.id FROM deleted_steps AS g);
BEGIN
  IF pg_catalog.cardinality(v_ids) > 0 THEN
    -- Both ends, by their indexes: an edge joins two steps of one workflow, deleted together.
    DELETE FROM tributary.step_dependencies AS d WHERE d.step_id = ANY (v_ids);
    DELETE FROM tributary.step_dependencies AS d WHERE d.depends_on_step_id = ANY (v_ids);
  END IF;
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION tributary.tg_steps__delete_dependencies() IS
  'Trigger: deletes the edges from and to the steps a statement deleted.';

CREATE TRIGGER _900_delete_dependencies AFTER DELETE ON tributary.steps
  REFERENCING OLD TABLE AS deleted_steps
  FOR EACH STATEMENT EXECUTE FUNCTION tributary.tg_steps__delete_dependencies();

COMMENT ON TRIGGER _900_delete_dependencies ON tributary.steps IS
  'Deleted steps take their edges with them, in two statements per deleting statement.';

-- The TRUNCATE triggers run as the truncating role (SECURITY INVOKER): truncating steps and edges
-- takes that role's own privilege on them, as TRUNCATE ... CASCADE of a foreign key did. A table
-- the statement named itself is empty already (its new file has no page) and is left alone: a
-- second TRUNCATE of it in the same statement fails ("being used by active queries"). steps is
-- truncated with CASCADE, as the foreign key's cascade took the caller's tables that refer to it
-- (a TRUNCATE of workflows always has CASCADE: events refers to workflows).
CREATE FUNCTION tributary.tg_workflows__truncate_steps()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET jit = off
AS $$
BEGIN
  IF pg_catalog.pg_relation_size('tributary.steps') > 0 THEN
    TRUNCATE tributary.steps CASCADE;  -- whose own trigger truncates step_dependencies
  END IF;
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION tributary.tg_workflows__truncate_steps() IS
  'Trigger: a TRUNCATE of workflows truncates steps (and so step_dependencies).';

CREATE TRIGGER _900_truncate_steps AFTER TRUNCATE ON tributary.workflows
  FOR EACH STATEMENT EXECUTE FUNCTION tributary.tg_workflows__truncate_steps();

COMMENT ON TRIGGER _900_truncate_steps ON tributary.workflows IS
  'A TRUNCATE of workflows leaves no step or edge behind.';

CREATE FUNCTION tributary.tg_steps__truncate_dependencies()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET jit = off
AS $$
BEGIN
  IF pg_catalog.pg_relation_size('tributary.step_dependencies') > 0 THEN
    TRUNCATE tributary.step_dependencies;
  END IF;
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION tributary.tg_steps__truncate_dependencies() IS
  'Trigger: a TRUNCATE of steps truncates step_dependencies.';

CREATE TRIGGER _900_truncate_dependencies AFTER TRUNCATE ON tributary.steps
  FOR EACH STATEMENT EXECUTE FUNCTION tributary.tg_steps__truncate_dependencies();

COMMENT ON TRIGGER _900_truncate_dependencies ON tributary.steps IS
  'A TRUNCATE of steps leaves no edge behind.';

-- The keys the references use never change, whoever writes: a step's id and workflow_id, a
-- workflow's id, an edge (the engine never updates one). The steps and workflows triggers fire
-- only for an UPDATE that names those columns, so the engine's updates never call them.
CREATE FUNCTION tributary.tg_refuse_key_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET jit = off
AS $$
BEGIN
  IF TG_TABLE_NAME = 'steps' THEN
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.workflow_id IS DISTINCT FROM OLD.workflow_id THEN
      RAISE EXCEPTION 'step % (task "%") keeps its id and its workflow', OLD.id, OLD.task_name
        USING ERRCODE = 'TB013',
              HINT = 'Edges and dependency results refer to a step by id, within its workflow.';
    END IF;
  ELSIF TG_TABLE_NAME = 'workflows' THEN
    IF NEW.id IS DISTINCT FROM OLD.id THEN
      RAISE EXCEPTION 'workflow % keeps its id', OLD.id
        USING ERRCODE = 'TB013',
              HINT = 'Its steps refer to it by id.';
    END IF;
  ELSE
    RAISE EXCEPTION 'the edge from step % to step % does not change', OLD.step_id, OLD.depends_on_step_id
      USING ERRCODE = 'TB013',
            HINT = 'Edges are written once, when the engine resolves a graph.';
  END IF;
  RETURN NEW;
END;
$$;

COMMENT ON FUNCTION tributary.tg_refuse_key_change() IS
  'Trigger: refuses (TB013) a change of the keys references use: steps.id, steps.workflow_id, workflows.id, any edge.';

CREATE TRIGGER _010_guard_keys BEFORE UPDATE OF id, workflow_id ON tributary.steps
  FOR EACH ROW EXECUTE FUNCTION tributary.tg_refuse_key_change();
COMMENT ON TRIGGER _010_guard_keys ON tributary.steps IS
  'Refuses (TB013) a change of a step''s id or workflow_id, even by the owner.';
CREATE TRIGGER _010_guard_keys BEFORE UPDATE OF id ON tributary.workflows
  FOR EACH ROW EXECUTE FUNCTION tributary.tg_refuse_key_change();
COMMENT ON TRIGGER _010_guard_keys ON tributary.workflows IS
  'Refuses (TB013) a change of a workflow''s id, even by the owner.';
CREATE TRIGGER _010_guard_update BEFORE UPDATE ON tributary.step_dependencies
  FOR EACH ROW EXECUTE FUNCTION tributary.tg_refuse_key_change();
COMMENT ON TRIGGER _010_guard_update ON tributary.step_dependencies IS
  'Refuses (TB013) any change of an edge, even by the owner.';

REVOKE ALL ON FUNCTION tributary.tg_workflows__delete_steps(), tributary.tg_steps__delete_dependencies(),
  tributary.tg_workflows__truncate_steps(), tributary.tg_steps__truncate_dependencies(),
  tributary.tg_refuse_key_change() FROM PUBLIC;

COMMIT;
