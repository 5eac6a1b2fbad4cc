-- Deploy tributary:triggers/workflows_resume_parent
-- requires: columns/workflows_parent
-- requires: functions/_complete_waits
-- requires: functions/_fail_attempt
--
-- When a child workflow finalizes, the step waiting for it (parent_step_id) resumes: the child
-- completed, the step completes with the results of the child's leaf steps (those no step
-- depends on) as one object keyed by task name; the child failed or was cancelled, the step's
-- attempt fails (retryable, with the usual backoff, and discarded when no attempt is left). A
-- parent step that is not waiting any more (cancelled with its workflow), or that waits for a
-- newer child (an older child re-run by retry_workflow finished), is left alone. Fires in
-- the transaction that finalizes the child; locks the workflow row, then the parent step.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.tg_workflows__resume_parent()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
DECLARE
  v_step tributary.steps;
  v_result jsonb;
BEGIN
  SELECT * INTO v_step FROM tributary.steps AS s WHERE s.id = NEW.parent_step_id FOR NO KEY UPDATE;
  IF NOT FOUND OR v_step.state <> 'waiting' OR v_step.wait IS NOT NULL THEN
    RETURN NULL;
  END IF;
  -- The step waits for its newest child only: an older child (an earlier attempt's, re-run by
  -- retry_workflow) that finishes now leaves the step to the child it waits for.
  IF EXISTS (SELECT 1 FROM tributary.workflows AS c WHERE c.parent_step_id = NEW.parent_step_id AND c.id > NEW.id) THEN
    RETURN NULL;
  END IF;
  IF NEW.state = 'completed' THEN
    SELECT coalesce(pg_catalog.jsonb_object_agg(s.task_name, s.result), '{}') INTO v_result
    FROM tributary.steps AS s
    WHERE s.workflow_id = NEW.id
      AND NOT EXISTS (SELECT 1 FROM tributary.step_dependencies AS d WHERE d.depends_on_step_id = s.id);
    PERFORM tributary._complete_waits(ARRAY[v_step.id], ARRAY[v_result]);
  ELSE
    PERFORM tributary._fail_attempt(
      v_step,
      pg_catalog.jsonb_build_object(
        'message', pg_catalog.format('child workflow %s (%s) %s', NEW.id, NEW.name, NEW.state),
        'child_workflow_id', NEW.id, 'child_state', NEW.state),
      true);
  END IF;
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION tributary.tg_workflows__resume_parent() IS
  'Trigger: a child workflow that finalized completes its waiting parent step with its leaf results, or fails the parent step''s attempt.';

CREATE TRIGGER _900_resume_parent
  AFTER UPDATE OF state ON tributary.workflows
  FOR EACH ROW
  WHEN (OLD.state = 'running' AND NEW.state <> 'running' AND NEW.parent_step_id IS NOT NULL)
  EXECUTE FUNCTION tributary.tg_workflows__resume_parent();

COMMENT ON TRIGGER _900_resume_parent ON tributary.workflows IS
  'A child workflow that finalized resumes the step waiting for it (completes it or fails its attempt).';

COMMIT;
