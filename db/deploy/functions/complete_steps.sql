-- Deploy tributary:functions/complete_steps
-- requires: functions/_unlock_dependents
-- requires: functions/_settle_workflows
--
-- Batch completion for workers: completes every (step, attempt) that still holds its step,
-- stores its result, unlocks dependents and finalizes workflows, all set-based in one
-- transaction. Never raises for a step it cannot complete: each input step gets an outcome --
-- completed, already_completed (a repeated call), cancelled (cancelled during that attempt),
-- stale (another attempt holds or finished it) or not_found; and error when that one step cannot
-- be completed at all (a row made inconsistent by a direct write): the rest of the batch still
-- completes. Locks the steps it completes.
-- O(batch): the steps are found by primary key and each one's attempt and result looked up by
-- its position in the input (a jsonb object id -> position), never by joining the unnested
-- input, which a nested loop made O(batch^2).
BEGIN;

CREATE OR REPLACE FUNCTION tributary.complete_steps(
  p_step_ids bigint[],
  p_attempts integer[],
  p_results jsonb[] DEFAULT NULL
)
RETURNS TABLE (step_id bigint, outcome text)
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
  v_positions jsonb;  -- 'step id:attempt' -> its position in the input (a duplicate id never hides the current attempt)
  v_completed bigint[];
  v_done jsonb;       -- step id -> true, for the steps this call completed
  v_workflow_ids bigint[];
  v_outcomes text[];
  v_i integer;
BEGIN
  -- A result is found by its step's position in the input (from 1): any other shape would pair
  -- a step with another's result.
  IF pg_catalog.array_ndims(p_step_ids) > 1 OR pg_catalog.array_ndims(p_attempts) > 1 OR pg_catalog.array_ndims(p_results) > 1
     OR pg_catalog.array_lower(p_step_ids, 1) <> 1 OR pg_catalog.array_lower(p_attempts, 1) <> 1
     OR pg_catalog.array_lower(p_results, 1) <> 1 THEN
    RAISE EXCEPTION 'step ids, attempts and results must be one-dimensional arrays starting at 1'
      USING ERRCODE = 'TB012';
  END IF;
  IF pg_catalog.cardinality(p_step_ids) IS DISTINCT FROM pg_catalog.cardinality(p_attempts)
     OR (p_results IS NOT NULL AND pg_catalog.cardinality(p_results) <> pg_catalog.cardinality(p_step_ids)) THEN
    RAISE EXCEPTION 'step ids, attempts and results must have the same length'
      USING ERRCODE = 'TB012';
  END IF;

  -- One step that cannot be completed (a row made inconsistent by a direct write) must not fail
  -- its innocent neighbours: when the batch fails, each step is completed on its own, in its own
  -- subtransaction, and the one that fails gets the outcome 'error' (and a WARNING naming it).
  BEGIN
    -- No explicit lock order is needed: each step is held by one attempt, so two batches that
    -- could complete anything never share a step.
    SELECT pg_catalog.jsonb_object_agg(i.id::text || ':' || i.attempt::text, i.ord) INTO v_positions
    FROM unnest(p_step_ids, p_attempts) WITH ORDINALITY AS i(id, attempt, ord);
    WITH done AS (
      UPDATE tributary.steps AS s
      SET state = 'completed',
          result = p_results[(v_positions ->> (s.id::text || ':' || s.attempt::text))::integer],
          finalized_at = v_now,
          lease_expires_at = NULL,
          deadline_at = NULL
      WHERE s.id = ANY (p_step_ids) AND s.state = 'running'
        AND v_positions ? (s.id::text || ':' || s.attempt::text)
      RETURNING s.id, s.workflow_id
    )
    SELECT coalesce(pg_catalog.array_agg(done.id), '{}'), pg_catalog.array_agg(done.workflow_id)
    INTO v_completed, v_workflow_ids
    FROM done;

    IF pg_catalog.cardinality(v_completed) > 0 THEN
      PERFORM tributary._unlock_dependents(v_completed);
      PERFORM tributary._settle_workflows(v_workflow_ids);
    END IF;
  EXCEPTION WHEN OTHERS THEN
    IF pg_catalog.cardinality(p_step_ids) <= 1 THEN
      RAISE;
    END IF;
    FOR v_i IN 1 .. pg_catalog.cardinality(p_step_ids) LOOP
      BEGIN
        v_outcomes[v_i] := (SELECT c.outcome FROM tributary.complete_steps(
                              ARRAY[p_step_ids[v_i]], ARRAY[p_attempts[v_i]], ARRAY[p_results[v_i]]) AS c);
      EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'step % cannot be completed: % (SQLSTATE %)', p_step_ids[v_i], SQLERRM, SQLSTATE
          USING HINT = 'The row breaks an engine invariant; inspect it and cancel or fix its workflow.';
        v_outcomes[v_i] := 'error';
      END;
    END LOOP;
    RETURN QUERY SELECT u.id, u.outcome FROM unnest(p_step_ids, v_outcomes) AS u(id, outcome);
    RETURN;
  END;

  IF pg_catalog.cardinality(v_completed) = pg_catalog.cardinality(p_step_ids) THEN
    RETURN QUERY SELECT u.id, 'completed'::text FROM pg_catalog.unnest(p_step_ids) AS u(id);
    RETURN;
  END IF;
  SELECT pg_catalog.jsonb_object_agg(c.id, true) INTO v_done FROM pg_catalog.unnest(v_completed) AS c(id);
  RETURN QUERY
  SELECT i.id,
         CASE
           WHEN v_done ? i.id::text AND s.attempt = i.attempt THEN 'completed'
           WHEN s.id IS NULL THEN 'not_found'
           WHEN s.state = 'completed' AND s.attempt = i.attempt THEN 'already_completed'
           WHEN s.state = 'cancelled' AND s.attempt = i.attempt THEN 'cancelled'
           ELSE 'stale'
         END
  FROM unnest(p_step_ids, p_attempts) WITH ORDINALITY AS i(id, attempt, ord)
  LEFT JOIN tributary.steps AS s ON s.id = i.id
  ORDER BY i.ord;
END;
$$;

COMMENT ON FUNCTION tributary.complete_steps(bigint[], integer[], jsonb[]) IS
  'Completes a batch of (step, attempt) pairs with their results; returns one outcome per step: completed | already_completed | cancelled | stale | not_found | error (that step cannot be completed; the others are). Never raises for a single step of a batch.';

COMMIT;
