-- Deploy tributary:functions/spawn_child_workflow
-- requires: functions/_check_attempt
-- requires: functions/_create_workflows
-- requires: columns/workflows_parent
-- requires: tables/steps_state_waiting
--
-- A running step starts a child workflow and waits for it without holding a worker: fenced like
-- complete_step (only attempt p_attempt of a running step may call it: TB006, TB007, TB008), it
-- creates the child exactly as create_workflow does (same validation and SQLSTATEs; an invalid
-- child raises and leaves the step running, untouched), links it (workflows.parent_step_id and
-- parent_workflow_id), and puts the step into waiting (its lease released). When the child
-- finalizes (trigger _900_resume_parent on workflows): completed, the step completes with the
-- results of the child's leaf steps keyed by task name; failed or cancelled, the step's attempt
-- fails (retryable: with attempts left it runs again, and its handler may spawn a new child;
-- the old child stays linked, finished). Returns the child's id. Locks the step, then inserts.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.spawn_child_workflow(
  p_step_id bigint,
  p_attempt integer,
  p_name text,
  p_tasks jsonb,
  p_metadata jsonb DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_step tributary.steps;
  v_child bigint;
BEGIN
  v_step := tributary._check_attempt(p_step_id, p_attempt);
  v_child := (tributary._create_workflows(
                pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                  'name', p_name, 'tasks', p_tasks, 'metadata', p_metadata))),
                false))[1];
  UPDATE tributary.workflows
  SET parent_step_id = v_step.id, parent_workflow_id = v_step.workflow_id
  WHERE id = v_child;
  UPDATE tributary.steps
  SET state = 'waiting', lease_expires_at = NULL, deadline_at = NULL
  WHERE id = v_step.id;
  RETURN v_child;
END;
$$;

COMMENT ON FUNCTION tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb) IS
  'A running step''s attempt creates a child workflow (validated like create_workflow) and waits for it; the child''s leaf results complete the step, its failure or cancellation fails the attempt. Returns the child id. TB006/TB007/TB008 as complete_step.';

COMMIT;
