-- Deploy tributary:functions/_reopen_steps
-- requires: tables/step_dependencies
-- requires: functions/_notify_available
--
-- Re-runs discarded/cancelled steps of one workflow: p_step_ids and every discarded/cancelled
-- step downstream of them, except those that still depend on a discarded/cancelled step outside
-- that set (they could never run). Completed steps keep their results. Each reopened step gets
-- at least one more attempt (attempt numbers keep growing, so old attempts stay fenced out), is
-- available when all its dependencies are completed (or skipped; see run_if, run_when) and
-- pending otherwise, skipped again when its branch can no longer be taken, not before its own
-- scheduled_at (so never before the workflow's); the workflow is running again. Returns the number of steps reopened. Locks the steps, then the workflow.
-- Planned at every call, with sequential scans, bitmap scans, hash and merge joins disabled: the
-- walks read the edges index by key whatever the statistics say (a hash join over a sequential
-- scan of every edge there is was the plan without statistics).
BEGIN;

CREATE OR REPLACE FUNCTION tributary._reopen_steps(p_workflow_id bigint, p_step_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
VOLATILE
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
  v_candidates bigint[];
  v_reopen bigint[];
  v_count integer;
  v_queues text[];
  v_maps bigint[];
  v_map_settle bigint[];  -- the workflow of each step _expand_maps finished
  v_settle bigint[] := '{}';  -- the workflow once per step finished here: settled once, at the end
  v_skipped bigint[];
BEGIN
  WITH RECURSIVE downstream(id) AS (
    SELECT u.id FROM pg_catalog.unnest(p_step_ids) AS u(id)
    UNION
    SELECT d.step_id FROM tributary.step_dependencies AS d JOIN downstream ON d.depends_on_step_id = downstream.id
  )
  SELECT pg_catalog.array_agg(s.id) INTO v_candidates
  FROM tributary.steps AS s
  WHERE s.id IN (SELECT downstream.id FROM downstream)
    AND s.workflow_id = p_workflow_id
    AND s.state IN ('discarded', 'cancelled');

  IF v_candidates IS NULL THEN
    RETURN 0;
  END IF;

  WITH RECURSIVE blocked(id) AS (
    SELECT c.id FROM pg_catalog.unnest(v_candidates) AS c(id)
    WHERE EXISTS (SELECT 1 FROM tributary.step_dependencies AS d
                  JOIN tributary.steps AS p ON p.id = d.depends_on_step_id
                  WHERE d.step_id = c.id AND p.state IN ('discarded', 'cancelled')
                    AND p.id <> ALL (v_candidates))
    UNION
    SELECT d.step_id FROM tributary.step_dependencies AS d JOIN blocked ON d.depends_on_step_id = blocked.id
    WHERE d.step_id = ANY (v_candidates)
  )
  SELECT pg_catalog.array_agg(c.id ORDER BY c.id) INTO v_reopen
  FROM pg_catalog.unnest(v_candidates) AS c(id)
  WHERE c.id NOT IN (SELECT blocked.id FROM blocked);

  IF v_reopen IS NULL THEN
    RETURN 0;
  END IF;

  PERFORM 1 FROM tributary.steps AS s WHERE s.id = ANY (v_reopen) ORDER BY s.id FOR NO KEY UPDATE;

  -- Branches: a skipped dependency, or a completed one whose result does not meet the step's
  -- run_if, is finished but not taken. A step that cannot be taken any more is skipped again at
  -- once (all_completed: one dependency not taken; any_completed: none left to take).
  WITH reopened AS (
    UPDATE tributary.steps AS s
    SET state = CASE
                  WHEN s.run_when = 'all_completed' AND r.not_taken > 0 THEN 'skipped'
                  WHEN r.n > 0 THEN 'pending'
                  WHEN s.run_when = 'any_completed' AND r.taken = 0 THEN 'skipped'
                  WHEN s.map_over IS NOT NULL THEN 'pending'
                  ELSE 'available'
                END,
        remaining_deps = r.n,
        max_attempts = GREATEST(s.max_attempts, s.attempt + 1),
        scheduled_at = GREATEST(v_now, s.scheduled_at),
        cancel_reason = NULL,
        finalized_at = CASE
                         WHEN s.run_when = 'all_completed' AND r.not_taken > 0 THEN v_now
                         WHEN r.n = 0 AND s.run_when = 'any_completed' AND r.taken = 0 THEN v_now
                       END
    FROM (
      SELECT s2.id, c.n, c.taken, c.not_taken
      FROM tributary.steps AS s2
      CROSS JOIN LATERAL (
        SELECT pg_catalog.count(*) FILTER (WHERE p.state NOT IN ('completed', 'skipped'))::integer AS n,
               pg_catalog.count(*) FILTER (WHERE p.state = 'completed' AND t.taken)::integer AS taken,
               pg_catalog.count(*) FILTER (WHERE p.state = 'skipped' OR (p.state = 'completed' AND NOT t.taken))::integer AS not_taken
        FROM tributary.step_dependencies AS d
        JOIN tributary.steps AS p ON p.id = d.depends_on_step_id
        CROSS JOIN LATERAL (SELECT s2.run_if IS NULL OR NOT s2.run_if ? p.task_name
                                   OR coalesce(p.result @> (s2.run_if -> p.task_name), false) AS taken) AS t
        WHERE d.step_id = s2.id
      ) AS c
      WHERE s2.id = ANY (v_reopen)
    ) AS r
    WHERE s.id = r.id AND s.state IN ('discarded', 'cancelled')
    RETURNING s.id, s.queue, s.state, s.remaining_deps, s.map_over
  )
  SELECT pg_catalog.count(*)::integer,
         pg_catalog.array_agg(DISTINCT reopened.queue) FILTER (WHERE reopened.state = 'available'),
         pg_catalog.array_agg(reopened.id ORDER BY reopened.id) FILTER (WHERE reopened.map_over IS NOT NULL AND reopened.remaining_deps = 0 AND reopened.state = 'pending'),
         pg_catalog.array_agg(reopened.id ORDER BY reopened.id) FILTER (WHERE reopened.state = 'skipped')
  INTO v_count, v_queues, v_maps, v_skipped
  FROM reopened;

  IF v_count > 0 THEN
    UPDATE tributary.workflows
    SET steps_unfinished = steps_unfinished + v_count,
        state = 'running',
        finalized_at = NULL,
        cancelled_at = NULL
    WHERE id = p_workflow_id;
    PERFORM tributary._notify_available(v_queues);
  END IF;
  IF v_skipped IS NOT NULL THEN  -- reopened only to be skipped: settled, and their dependents told
    PERFORM tributary._unlock_dependents(v_skipped);
    v_settle := pg_catalog.array_fill(p_workflow_id, ARRAY[pg_catalog.cardinality(v_skipped)]);
  END IF;
  IF v_maps IS NOT NULL THEN  -- a map step with nothing left to wait for expands (or collects) again
    SELECT e.completed, e.settle INTO v_maps, v_map_settle FROM tributary._expand_maps(v_maps) AS e;  -- the maps it completed at once
    IF pg_catalog.cardinality(v_maps) > 0 THEN
      PERFORM tributary._unlock_dependents(v_maps);
    END IF;
    v_settle := v_settle || coalesce(v_map_settle, '{}');
  END IF;
  IF pg_catalog.cardinality(v_settle) > 0 THEN
    PERFORM tributary._settle_workflows(v_settle);
  END IF;
  RETURN v_count;
END;
$$;

COMMENT ON FUNCTION tributary._reopen_steps(bigint, bigint[]) IS
  'Internal: re-runs the given discarded/cancelled steps and the discarded/cancelled steps downstream of them (keeping completed results); the workflow runs again. Returns how many steps it reopened.';

COMMIT;
