-- Deploy tributary:functions/_settle_workflows
-- requires: tables/steps
--
-- Called after steps reached a final state (completed, discarded, cancelled), with the workflow
-- id of each such step (repeated once per step): subtracts them from their workflows'
-- steps_unfinished. The transaction that brings a workflow to 0 finalizes
-- it: cancelled if cancel_workflow() was called, failed if a step was discarded, completed
-- otherwise; then notifies tributary_workflow_finalized with {"workflow_id", "state"}. The
-- decrement happens under the workflow row's lock, so finalization happens exactly once even
-- when the last steps finish in concurrent transactions. Locks the workflow rows in id order.
-- The rows are locked first (their own statement), then one UPDATE both counts down and
-- finalizes in the final state (a one-step workflow's row is written once): its snapshot, taken
-- under the row locks, sees a discard committed by a transaction it waited for.
-- O(steps + workflows): each workflow is found by primary key and its count looked up by key in
-- a jsonb object, never by joining an unnested list (which a nested loop made quadratic).
BEGIN;

CREATE OR REPLACE FUNCTION tributary._settle_workflows(p_workflow_ids bigint[])
RETURNS void
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
  v_workflows bigint[];
  v_counts jsonb;  -- workflow id -> how many of its steps just finished
  v_payloads text[];
BEGIN
  IF p_workflow_ids[1] = ALL (p_workflow_ids) THEN  -- one workflow: the usual case
    v_workflows := ARRAY[p_workflow_ids[1]];
    v_counts := pg_catalog.jsonb_build_object(p_workflow_ids[1], pg_catalog.cardinality(p_workflow_ids));
  ELSE
    SELECT pg_catalog.array_agg(f.id ORDER BY f.id), pg_catalog.jsonb_object_agg(f.id, f.n)
    INTO v_workflows, v_counts
    FROM (SELECT u.id, pg_catalog.count(*)::integer AS n
          FROM pg_catalog.unnest(p_workflow_ids) AS u(id)
          GROUP BY u.id) AS f;
  END IF;
  IF v_workflows[1] IS NULL THEN
    RETURN;
  END IF;
  -- The row locks first, in id order, in a statement of their own: the UPDATE below then runs
  -- with a snapshot taken once they are held, so it sees a discard committed by a transaction
  -- this one waited for (a subquery inside an UPDATE that waited for a row lock would read with
  -- the snapshot the UPDATE started with, and finalize such a workflow as completed).
  PERFORM 1 FROM tributary.workflows AS w WHERE w.id = ANY (v_workflows) ORDER BY w.id FOR NO KEY UPDATE;
  -- One UPDATE counts down and, for a workflow brought to 0, finalizes it in its final state: a
  -- one-step workflow is written once, not twice, and no workflow passes through a state it does
  -- not end in (triggers on workflows see the final state at once). Only a running workflow has
  -- unfinished steps (workflows_final_means_nothing_unfinished, workflows_counters_in_range), so
  -- a row at 0 after this statement is one this statement finalized. The discarded-step probe is
  -- a scalar subquery in the CASE: evaluated only for a workflow being finalized, one probe of
  -- its steps (an EXISTS could be planned as a join reading every discarded step).
  WITH settled AS (
    UPDATE tributary.workflows AS w
    SET steps_unfinished = w.steps_unfinished - (v_counts ->> w.id::text)::integer,
        state = CASE
                  WHEN w.state <> 'running' OR w.steps_unfinished <> (v_counts ->> w.id::text)::integer THEN w.state
                  WHEN w.cancelled_at IS NOT NULL THEN 'cancelled'
                  WHEN (SELECT true FROM tributary.steps AS s
                        WHERE s.workflow_id = w.id AND s.state = 'discarded'
                        LIMIT 1) THEN 'failed'
                  ELSE 'completed'
                END,
        finalized_at = CASE
                         WHEN w.state <> 'running' OR w.steps_unfinished <> (v_counts ->> w.id::text)::integer THEN w.finalized_at
                         ELSE v_now
                       END
    WHERE w.id = ANY (v_workflows)
    RETURNING w.id, w.state, w.steps_unfinished
  )
  SELECT pg_catalog.array_agg(pg_catalog.json_build_object('workflow_id', settled.id, 'state', settled.state)::text)
  INTO v_payloads
  FROM settled
  WHERE settled.steps_unfinished = 0;
  IF v_payloads IS NOT NULL THEN  -- most calls finalize nothing: no statement then
    PERFORM pg_catalog.pg_notify('tributary_workflow_finalized', p.payload)
    FROM pg_catalog.unnest(v_payloads) AS p(payload);
  END IF;
END;
$$;

COMMENT ON FUNCTION tributary._settle_workflows(bigint[]) IS
  'Internal: given the workflow id of each step that reached a final state, counts them against their workflows and finalizes (exactly once) each workflow left with nothing unfinished.';

COMMIT;
