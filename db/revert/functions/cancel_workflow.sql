-- Revert tributary:functions/cancel_workflow to its @v0.1.0 form
-- requires: functions/_settle_workflows
--
-- Cancels every unfinished step of a workflow (pending, available and running ones) with
-- p_reason, and finalizes the workflow as cancelled. A worker running one of its steps learns
-- it from heartbeat() (false) or complete_step()/fail_step() (TB008). Returns false when the
-- workflow had already finished (nothing changes), TB009 when it does not exist, TB011 when it
-- was inserted directly in the current transaction and is not resolved yet. Locks the
-- unfinished steps in id order, then the workflow row.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.cancel_workflow(
  p_workflow_id bigint,
  p_reason text DEFAULT 'workflow cancelled'
)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_cancelled bigint[];
  v_unresolved boolean;
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

  PERFORM 1 FROM tributary.steps AS s
  WHERE s.workflow_id = p_workflow_id AND s.state IN ('pending', 'available', 'running')
  ORDER BY s.id
  FOR NO KEY UPDATE;

  WITH cancelled AS (
    UPDATE tributary.steps AS s
    SET state = 'cancelled',
        cancel_reason = coalesce(p_reason, 'workflow cancelled'),
        finalized_at = v_now,
        lease_expires_at = NULL,
        deadline_at = NULL
    WHERE s.workflow_id = p_workflow_id AND s.state IN ('pending', 'available', 'running')
    RETURNING s.id
  )
  SELECT pg_catalog.array_agg(cancelled.id) INTO v_cancelled FROM cancelled;

  IF v_cancelled IS NULL THEN
    RETURN false;
  END IF;

  UPDATE tributary.workflows SET cancelled_at = v_now WHERE id = p_workflow_id;
  PERFORM tributary._settle_workflows(pg_catalog.array_fill(p_workflow_id, ARRAY[pg_catalog.cardinality(v_cancelled)]));
  RETURN true;
END;
$$;

COMMENT ON FUNCTION tributary.cancel_workflow(bigint, text) IS
  'Cancels every unfinished step of a workflow (running ones learn it via heartbeat/complete_step) and finalizes it as cancelled. false if already finished; TB009 unknown workflow.';

-- grants/definer made the @v0.1.0 form run as its owner; CREATE OR REPLACE resets that.
ALTER FUNCTION tributary.cancel_workflow(bigint, text) SECURITY DEFINER;

COMMIT;
