-- Deploy tributary:functions/_complete_waits
-- requires: columns/steps_wait
-- requires: functions/_unlock_dependents
-- requires: functions/_settle_workflows
--
-- Ends waits with results: every step of p_step_ids still waiting is completed with the result at
-- the same position of p_results (an event's payload, a wait's default, a child's result; NULL
-- for a sleep), its dependents are unlocked and its workflow settled. The caller has locked the
-- steps; one not waiting any more is left alone. Returns the ids it completed. Reads by key.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._complete_waits(p_step_ids bigint[], p_results jsonb[])
RETURNS bigint[]
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_positions jsonb;
  v_completed bigint[];
  v_workflow_ids bigint[];
BEGIN
  SELECT pg_catalog.jsonb_object_agg(i.id, i.ord) INTO v_positions
  FROM pg_catalog.unnest(p_step_ids) WITH ORDINALITY AS i(id, ord);
  WITH done AS (
    UPDATE tributary.steps AS s
    SET state = 'completed',
        result = p_results[(v_positions ->> s.id::text)::integer],
        finalized_at = v_now,
        wake_at = NULL
    WHERE s.id = ANY (p_step_ids) AND s.state = 'waiting'
    RETURNING s.id, s.workflow_id
  )
  SELECT pg_catalog.array_agg(done.id), pg_catalog.array_agg(done.workflow_id)
  INTO v_completed, v_workflow_ids
  FROM done;
  IF v_completed IS NULL THEN
    RETURN '{}';
  END IF;
  PERFORM tributary._unlock_dependents(v_completed);
  PERFORM tributary._settle_workflows(v_workflow_ids);
  RETURN v_completed;
END;
$$;

COMMENT ON FUNCTION tributary._complete_waits(bigint[], jsonb[]) IS
  'Internal: completes locked waiting steps with the given results, unlocks their dependents and settles their workflows; returns the ids completed.';

COMMIT;
