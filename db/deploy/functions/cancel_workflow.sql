-- Deploy tributary:functions/cancel_workflow
-- requires: functions/_settle_workflows
-- requires: columns/workflows_parent
--
-- Cancels every unfinished step of a workflow (pending, available, running and waiting ones)
-- with p_reason, and finalizes the workflow as cancelled; then cancels each of its running child
-- workflows (spawn_child_workflow) the same way, so grandchildren go too, with the reason
-- 'parent workflow <id> was cancelled'. A worker running one of its steps learns
-- it from heartbeat() (false) or complete_step()/fail_step() (TB008). Returns false when the
-- workflow had already finished (nothing changes), TB009 when it does not exist, TB011 when it
-- was inserted directly in the current transaction and is not resolved yet. Locks the
-- unfinished steps of its running descendants (children, grandchildren, ...) in id order, then
-- its own unfinished steps in id order, then the workflow row, then each child's row.
-- Runs as its owner (SECURITY DEFINER, as grants/definer made the @v0.1.0 form). Planned at every
-- call, without sequential scans, bitmap scans, hash or merge joins: the walk over the children
-- reads workflows_parent_idx by key, and the steps are read by workflow_id.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.cancel_workflow(
  p_workflow_id bigint,
  p_reason text DEFAULT 'workflow cancelled'
)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
SET plan_cache_mode = force_custom_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_cancelled bigint[];
  v_unresolved boolean;
  v_descendants bigint[];
BEGIN
  SELECT w.steps_total IS NULL INTO v_unresolved FROM tributary.workflows AS w WHERE w.id = p_workflow_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'workflow % does not exist', p_workflow_id USING ERRCODE = 'TB009';
  END IF;
  IF v_unresolved THEN
    RAISE EXCEPTION 'workflow % is not resolved yet: it was inserted directly in this transaction', p_workflow_id
      USING ERRCODE = 'TB011',
            HINT = 'Roll the transaction back instead, or cancel the workflow after COMMIT.';
  END IF;

  -- The unfinished steps of the running descendants first: a child that finalizes holds its own
  -- step, then locks its waiting parent step, so holding the parent's steps while waiting for a
  -- child's would deadlock with a worker completing the child's last step.
  v_descendants := ARRAY(
    WITH RECURSIVE tree(id) AS (
      SELECT c.id FROM tributary.workflows AS c WHERE c.parent_workflow_id = p_workflow_id AND c.state = 'running'
      UNION ALL
      SELECT c.id FROM tributary.workflows AS c JOIN tree ON c.parent_workflow_id = tree.id WHERE c.state = 'running'
    )
    SELECT tree.id FROM tree);
  IF pg_catalog.cardinality(v_descendants) > 0 THEN
    PERFORM 1 FROM tributary.steps AS s
    WHERE s.workflow_id = ANY (v_descendants) AND s.state IN ('pending', 'available', 'running', 'waiting')
    ORDER BY s.id
    FOR NO KEY UPDATE;
  END IF;

  PERFORM 1 FROM tributary.steps AS s
  WHERE s.workflow_id = p_workflow_id AND s.state IN ('pending', 'available', 'running', 'waiting')
  ORDER BY s.id
  FOR NO KEY UPDATE;

  WITH cancelled AS (
    UPDATE tributary.steps AS s
    SET state = 'cancelled',
        cancel_reason = coalesce(p_reason, 'workflow cancelled'),
        finalized_at = v_now,
        lease_expires_at = NULL,
        deadline_at = NULL,
        wake_at = NULL
    WHERE s.workflow_id = p_workflow_id AND s.state IN ('pending', 'available', 'running', 'waiting')
    RETURNING s.id
  )
  SELECT pg_catalog.array_agg(cancelled.id) INTO v_cancelled FROM cancelled;

  IF v_cancelled IS NULL THEN
    RETURN false;
  END IF;

  UPDATE tributary.workflows SET cancelled_at = v_now WHERE id = p_workflow_id;
  PERFORM tributary._settle_workflows(pg_catalog.array_fill(p_workflow_id, ARRAY[pg_catalog.cardinality(v_cancelled)]));
  -- Children last: a child created concurrently by one of the steps just cancelled (it waited
  -- for that step's lock) is visible to this statement.
  PERFORM tributary.cancel_workflow(c.id, pg_catalog.format('parent workflow %s was cancelled', p_workflow_id))
  FROM tributary.workflows AS c
  WHERE c.parent_workflow_id = p_workflow_id AND c.state = 'running'
  ORDER BY c.id;
  RETURN true;
END;
$$;

COMMENT ON FUNCTION tributary.cancel_workflow(bigint, text) IS
  'Cancels every unfinished step of a workflow (running ones learn it via heartbeat/complete_step), finalizes it as cancelled, then cancels its running child workflows. false if already finished; TB009 unknown workflow.';

COMMIT;
