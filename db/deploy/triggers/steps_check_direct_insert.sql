-- Deploy tributary:triggers/steps_check_direct_insert
-- requires: tables/steps
--
-- A step inserted directly (a plain INSERT) joins a workflow whose graph is resolved at COMMIT.
-- This trigger refuses a step of a workflow that does not exist (23503, foreign_key_violation),
-- a duplicate task name (TB003) and a step added to a workflow that is already resolved
-- (TB010), starts the step unresolved in its initial state whatever engine
-- columns the caller set, fills the options the caller left out (NULL) from tributary.settings,
-- and keeps it from running before its workflow's scheduled_at.
--
-- The options have no column defaults: a default that reads tributary.settings would run with
-- the inserting role's privileges, and no role but the owner may call the internal _settings().
-- This trigger function is SECURITY DEFINER (see grants/definer), so it reads them for the caller.
--
-- create_workflow() inserts resolved steps itself and marks that with the transaction-local
-- setting tributary.creating_workflow, which keeps this trigger from firing for its rows. The
-- setting counts only when the current role is the schema owner, as it is inside
-- create_workflow() (SECURITY DEFINER): any other role that sets it is checked all the same.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.tg_steps__check_direct_insert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_workflow record;
  v_settings tributary.settings;
BEGIN
  IF NEW.queue IS NULL OR NEW.priority IS NULL OR NEW.max_attempts IS NULL OR NEW.retry_backoff IS NULL
     OR NEW.timeout IS NULL THEN
    v_settings := tributary._settings();
    NEW.queue := coalesce(NEW.queue, v_settings.default_queue);
    NEW.priority := coalesce(NEW.priority, v_settings.default_priority);
    NEW.max_attempts := coalesce(NEW.max_attempts, v_settings.default_max_attempts);
    NEW.timeout := coalesce(NEW.timeout, v_settings.default_timeout);
    NEW.retry_backoff := coalesce(NEW.retry_backoff, v_settings.default_retry_backoff);
  END IF;

  SELECT w.steps_total, w.scheduled_at INTO v_workflow
  FROM tributary.workflows AS w WHERE w.id = NEW.workflow_id;
  IF NOT FOUND THEN  -- what a foreign key would say (tables/steps_references: there is none)
    RAISE EXCEPTION 'workflow % does not exist: task "%" cannot be added to it', NEW.workflow_id, NEW.task_name
      USING ERRCODE = 'foreign_key_violation',
            HINT = 'Insert the workflow first, in the transaction that inserts its steps.';
  END IF;
  IF v_workflow.steps_total IS NOT NULL THEN
    RAISE EXCEPTION 'workflow % is already resolved: task "%" cannot be added to it', NEW.workflow_id, NEW.task_name
      USING ERRCODE = 'TB010',
            HINT = 'Insert a workflow''s steps in the transaction that inserts the workflow.';
  END IF;
  IF EXISTS (SELECT 1 FROM tributary.steps AS s
             WHERE s.workflow_id = NEW.workflow_id AND s.task_name = NEW.task_name) THEN
    RAISE EXCEPTION 'duplicate task name "%" in workflow %', NEW.task_name, NEW.workflow_id
      USING ERRCODE = 'TB003',
            HINT = 'Task names must be unique within a workflow.';
  END IF;

  NEW.state := 'pending';
  NEW.remaining_deps := NULL;
  NEW.attempt := 0;
  NEW.attempted_at := NULL;
  NEW.worker_id := NULL;
  NEW.lease_expires_at := NULL;
  NEW.deadline_at := NULL;
  NEW.result := NULL;
  NEW.errors := '[]';
  NEW.cancel_reason := NULL;
  NEW.finalized_at := NULL;
  NEW.scheduled_at := GREATEST(NEW.scheduled_at, v_workflow.scheduled_at);
  RETURN NEW;
END;
$$;

COMMENT ON FUNCTION tributary.tg_steps__check_direct_insert() IS
  'Trigger: checks a directly inserted step (23503 unknown workflow, TB003 duplicate task name, TB010 workflow already resolved), fills its omitted options from settings and resets its engine columns.';

ALTER TABLE tributary.steps
  ALTER COLUMN queue DROP DEFAULT,
  ALTER COLUMN priority DROP DEFAULT,
  ALTER COLUMN max_attempts DROP DEFAULT,
  ALTER COLUMN timeout DROP DEFAULT,
  ALTER COLUMN retry_backoff DROP DEFAULT;

-- The owner's name is written into the WHEN clause (a trigger's WHEN cannot read the catalog).
DROP TRIGGER _100_check_direct_insert ON tributary.steps;
DO $$
BEGIN
  EXECUTE pg_catalog.format(
    'CREATE TRIGGER _100_check_direct_insert BEFORE INSERT ON tributary.steps FOR EACH ROW '
    'WHEN (pg_catalog.current_setting(''tributary.creating_workflow'', true) IS DISTINCT FROM ''on'' '
    'OR CURRENT_USER <> %L) EXECUTE FUNCTION tributary.tg_steps__check_direct_insert()',
    (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class AS c WHERE c.oid = 'tributary.steps'::regclass));
END
$$;

COMMENT ON TRIGGER _100_check_direct_insert ON tributary.steps IS
  'Checks steps inserted directly (not through create_workflow): unique task name, workflow not yet resolved; fills omitted options.';

COMMIT;
