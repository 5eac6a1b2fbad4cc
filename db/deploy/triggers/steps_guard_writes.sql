-- Deploy tributary:triggers/steps_guard_writes
-- requires: tables/steps
--
-- Guards the engine's columns of tributary.steps against direct writes, so that no single row
-- written by hand can stop a queue, a rescue or a batch completion, nor finalize a workflow early:
-- - any role but the schema owner (whose SECURITY DEFINER functions make every transition) is
--   refused any UPDATE or DELETE of a step;
-- - even the owner cannot change a completed step (no engine transition leaves `completed`, and a
--   completed step's result is what its dependents read), cannot set the engine columns of a step
--   whose workflow is not resolved yet (only the resolution at COMMIT does), and cannot DELETE a
--   step on its own (steps go with their workflow: a deleted running step left its workflow
--   running for ever).
-- Each refusal is TB013 and names the step. The WHEN clauses keep the engine's own updates (all
-- made as the owner, on steps that are neither completed nor unresolved) free of any call.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.tg_steps__guard_writes()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET jit = off
AS $$
BEGIN
  IF CURRENT_USER <> TG_ARGV[0] THEN
    RAISE EXCEPTION '% of step % (task "%") refused: only the engine''s functions write steps', TG_OP, OLD.id, OLD.task_name
      USING ERRCODE = 'TB013',
            DETAIL = pg_catalog.format('role %s is not the owner of the schema', CURRENT_USER),
            HINT = 'Call the function that makes this transition (complete_step, fail_step, cancel_workflow, retry_step, ...).';
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF pg_catalog.pg_trigger_depth() > 1 THEN
      RETURN OLD;  -- deleted with its workflow (tables/steps_references: a trigger of workflows)
    END IF;
    RAISE EXCEPTION 'step % (task "%") cannot be deleted on its own', OLD.id, OLD.task_name
      USING ERRCODE = 'TB013',
            HINT = 'Steps go with their workflow: cancel it, or delete the workflow (prune_finished).';
  END IF;
  IF OLD.state = 'completed' THEN
    RAISE EXCEPTION 'step % (task "%") is completed: it does not change any more', OLD.id, OLD.task_name
      USING ERRCODE = 'TB013',
            HINT = 'Its result is what its dependents read. Create a new workflow to run it again.';
  END IF;
  -- Not resolved yet (inserted directly in this transaction): the engine columns keep the values
  -- the insert trigger gave them, until the resolution at COMMIT sets remaining_deps and state.
  IF NEW.attempt = 0 AND NEW.attempted_at IS NULL AND NEW.worker_id IS NULL AND NEW.lease_expires_at IS NULL
     AND NEW.deadline_at IS NULL AND NEW.result IS NULL AND NEW.errors = '[]' AND NEW.cancel_reason IS NULL
     AND NEW.finalized_at IS NULL
     AND (CASE WHEN NEW.remaining_deps IS NULL THEN NEW.state = 'pending'
               ELSE NEW.remaining_deps = (SELECT pg_catalog.count(DISTINCT d.name)::integer
                                          FROM pg_catalog.unnest(NEW.depends_on) AS d(name))
                    AND NEW.state = (CASE WHEN NEW.remaining_deps = 0 THEN 'available' ELSE 'pending' END)
          END) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'step % (task "%") is not resolved yet: its state is set when its workflow is resolved at COMMIT',
                  OLD.id, OLD.task_name
    USING ERRCODE = 'TB013',
          HINT = 'Set only the options (queue, priority, args, ...) of a step inserted in this transaction.';
END;
$$;

COMMENT ON FUNCTION tributary.tg_steps__guard_writes() IS
  'Trigger: refuses (TB013) writes to steps by any role but the owner (TG_ARGV[0]), and by anyone: changing a completed step, setting the engine columns of an unresolved step, deleting a step without its workflow.';

-- The owner's name is written into the WHEN clauses (a trigger's WHEN cannot read the catalog).
DO $$
DECLARE
  v_owner name := (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class AS c
                   WHERE c.oid = 'tributary.steps'::regclass);
BEGIN
  EXECUTE pg_catalog.format(
    'CREATE TRIGGER _010_guard_update BEFORE UPDATE ON tributary.steps FOR EACH ROW '
    'WHEN (CURRENT_USER <> %L OR OLD.state = ''completed'' OR OLD.remaining_deps IS NULL) '
    'EXECUTE FUNCTION tributary.tg_steps__guard_writes(%L)', v_owner, v_owner);
  EXECUTE pg_catalog.format(
    'CREATE TRIGGER _010_guard_delete BEFORE DELETE ON tributary.steps FOR EACH ROW '
    'WHEN (CURRENT_USER <> %L OR pg_catalog.pg_trigger_depth() = 0) '
    'EXECUTE FUNCTION tributary.tg_steps__guard_writes(%L)', v_owner, v_owner);
END
$$;

COMMENT ON TRIGGER _010_guard_update ON tributary.steps IS
  'Refuses (TB013) updates by roles but the owner, of completed steps, and of the engine columns of unresolved steps.';
COMMENT ON TRIGGER _010_guard_delete ON tributary.steps IS
  'Refuses (TB013) deleting a step but with its workflow (by the delete trigger of workflows), and any delete by roles but the owner.';

COMMIT;
