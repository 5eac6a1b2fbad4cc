-- Revert tributary:triggers/steps_check_direct_insert
--
-- Back to the v0.1.0 trigger: options from column defaults, creating_workflow not tied to the owner.
--
-- A step inserted directly (a plain INSERT) joins a workflow whose graph is resolved at COMMIT.
-- This trigger refuses a duplicate task name (TB003) and a step added to a workflow that is
-- already resolved (TB010), starts the step unresolved in its initial state whatever engine
-- columns the caller set, and keeps it from running before its workflow's scheduled_at.
-- create_workflow() inserts resolved steps itself and marks that with the transaction-local
-- setting tributary.creating_workflow, which keeps this trigger from firing for its rows.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.tg_steps__check_direct_insert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_workflow record;
BEGIN
  SELECT w.steps_total, w.scheduled_at INTO v_workflow
  FROM tributary.workflows AS w WHERE w.id = NEW.workflow_id;
  IF NOT FOUND THEN
    RETURN NEW;  -- the foreign key reports the unknown workflow
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
  'Trigger: checks a directly inserted step (TB003 duplicate task name, TB010 workflow already resolved) and resets its engine columns.';

ALTER TABLE tributary.steps
  ALTER COLUMN queue SET DEFAULT (tributary._settings()).default_queue,
  ALTER COLUMN priority SET DEFAULT (tributary._settings()).default_priority,
  ALTER COLUMN max_attempts SET DEFAULT (tributary._settings()).default_max_attempts,
  ALTER COLUMN timeout SET DEFAULT (tributary._settings()).default_timeout,
  ALTER COLUMN retry_backoff SET DEFAULT (tributary._settings()).default_retry_backoff;  -- the name at this point of a revert; kept by number after the rename is reverted too

DROP TRIGGER _100_check_direct_insert ON tributary.steps;
CREATE TRIGGER _100_check_direct_insert
  BEFORE INSERT ON tributary.steps
  FOR EACH ROW
  WHEN (pg_catalog.current_setting('tributary.creating_workflow', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION tributary.tg_steps__check_direct_insert();

COMMENT ON TRIGGER _100_check_direct_insert ON tributary.steps IS
  'Checks steps inserted directly (not through create_workflow): unique task name, workflow not yet resolved.';

COMMIT;
