-- Deploy tributary:functions/get_workflow
-- requires: tables/steps
--
-- Reads one workflow as a jsonb document for clients and psql: id, name, state, metadata,
-- timestamps, and per step (keyed by task name) its state, attempt, result, errors and cancel
-- reason, and what rebuilds the graph and its timeline: depends_on (task names), args (as stored:
-- a sealed envelope stays sealed), scheduled_at, attempted_at and worker_id; a wait or sleep
-- step's normalized options (wait) and timer (wake_at). The links of child workflows both ways:
-- parent_step_id and parent_workflow_id (NULL but for a child), and children: one object
-- {id, name, state, parent_step_id} per child workflow spawned by a step of this one, by id.
-- Raises TB009 for an
-- unknown workflow. Reads the workflow by its key and its steps by the unique (workflow_id,
-- task_name) index. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.get_workflow(p_workflow_id bigint)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
DECLARE
  v_doc jsonb;
BEGIN
  SELECT pg_catalog.jsonb_build_object(
           'id', w.id, 'name', w.name, 'state', w.state, 'metadata', w.metadata,
           'created_at', w.created_at, 'scheduled_at', w.scheduled_at,
           'cancelled_at', w.cancelled_at, 'finalized_at', w.finalized_at,
           'parent_step_id', w.parent_step_id, 'parent_workflow_id', w.parent_workflow_id,
           'children', coalesce((
             SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'id', c.id, 'name', c.name, 'state', c.state, 'parent_step_id', c.parent_step_id) ORDER BY c.id)
             FROM tributary.workflows AS c WHERE c.parent_workflow_id = w.id), '[]'),
           'steps', coalesce((
             SELECT pg_catalog.jsonb_object_agg(s.task_name, pg_catalog.jsonb_build_object(
                      'id', s.id, 'kind', s.kind, 'state', s.state, 'attempt', s.attempt,
                      'max_attempts', s.max_attempts, 'queue', s.queue, 'result', s.result,
                      'errors', s.errors, 'cancel_reason', s.cancel_reason,
                      'finalized_at', s.finalized_at,
                      'depends_on', pg_catalog.to_jsonb(s.depends_on), 'args', s.args,
                      'scheduled_at', s.scheduled_at, 'attempted_at', s.attempted_at,
                      'worker_id', s.worker_id, 'wait', s.wait, 'wake_at', s.wake_at,
                      'run_when', s.run_when, 'run_if', s.run_if,
                      'map', CASE WHEN s.map_over IS NOT NULL THEN pg_catalog.jsonb_build_object(
                                    'over', s.map_over, 'path', s.map_path, 'size', s.map_size) END,
                      'map_step_id', s.map_step_id, 'map_index', s.map_index))
             FROM tributary.steps AS s WHERE s.workflow_id = w.id), '{}'))
  INTO v_doc
  FROM tributary.workflows AS w
  WHERE w.id = p_workflow_id;
  IF v_doc IS NULL THEN
    RAISE EXCEPTION 'workflow % does not exist', p_workflow_id USING ERRCODE = 'TB009';
  END IF;
  RETURN v_doc;
END;
$$;

COMMENT ON FUNCTION tributary.get_workflow(bigint) IS
  'One workflow as jsonb: state, timestamps, and per task name its state, attempt, result, errors, cancel reason, depends_on (task names), args (as stored), scheduled_at, attempted_at, worker_id, wait, wake_at, run_when, run_if, map (over, path, size) of a map step, map_step_id and map_index of a map''s element; parent_step_id, parent_workflow_id and children link child workflows. TB009 unknown workflow.';

COMMIT;
