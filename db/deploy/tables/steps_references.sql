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
-- same transaction unlocked). What the foreign keys guaranteed still holds:
-- - no edge points at nothing: only the owner writes step_dependencies (TB013 for any other
--   role), and the engine writes an edge only between two steps of one workflow that it inserted
--   or read in the same statement;
-- - no step points at nothing: the engine inserts a workflow's steps with the workflow or into a
--   running one (maps, children), and a step inserted directly is refused (23503, as the foreign
--   key did) by its trigger when its workflow does not exist;
-- - deleting a workflow deletes its steps and their edges (ON DELETE CASCADE did): the statement
--   triggers below, set-based over every row the statement deleted; a TRUNCATE of workflows
--   truncates steps and edges too. A step is never deleted on its own (TB013), and no foreign
--   key refers to steps or step_dependencies any more. events keeps its foreign key.
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

CREATE FUNCTION tributary.tg_workflows__truncate_steps()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
SET jit = off
AS $$
BEGIN
  TRUNCATE tributary.steps, tributary.step_dependencies;
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION tributary.tg_workflows__truncate_steps() IS
  'Trigger: a TRUNCATE of workflows truncates steps and step_dependencies.';

CREATE TRIGGER _900_truncate_steps AFTER TRUNCATE ON tributary.workflows
  FOR EACH STATEMENT EXECUTE FUNCTION tributary.tg_workflows__truncate_steps();

COMMENT ON TRIGGER _900_truncate_steps ON tributary.workflows IS
  'A TRUNCATE of workflows leaves no step or edge behind.';

REVOKE ALL ON FUNCTION tributary.tg_workflows__delete_steps(), tributary.tg_steps__delete_dependencies(),
  tributary.tg_workflows__truncate_steps() FROM PUBLIC;

COMMIT;
