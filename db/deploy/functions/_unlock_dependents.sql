-- Deploy tributary:functions/_unlock_dependents
-- requires: tables/step_dependencies
-- requires: functions/_notify_available
--
-- Called after steps completed (or were skipped): decrements remaining_deps of each pending
-- dependent once per finished dependency, makes the ones that reach 0 available, and notifies
-- their queues. Whether a just-finished dependency is taken is read (its edge by both keys, the
-- step by primary key) only for a dependent with a run_if or when a finished step was skipped. Branches: a dependent whose run_if a result does not meet, or that depends on a
-- skipped step, is skipped (run_when all_completed), or counts it as not taken (any_completed);
-- skipped steps' own dependents are handled the same way (one level per turn of a loop, never a
-- recursive call: a skip can run down a chain of any length), and the skipped steps are settled
-- once, after the last turn, so that no workflow row is locked before a step row.
-- A map step that reaches 0 is handed to _expand_maps (expand, or collect its elements).
-- O(out-degree): only the edges of the completed steps are read, and each dependent is found by
-- primary key and its count looked up by key in a jsonb object (no join with an unnested list,
-- which a nested loop made O(k^2) for k dependents). Locks the dependents in id order (so
-- concurrent batches cannot deadlock on each other); in a wide fan-in the aggregating step's row
-- is the one hot row.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._unlock_dependents(p_step_ids bigint[])
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
  v_children bigint[];
  v_counts jsonb;  -- dependent's id -> how many of its dependencies just finished
  v_finished_deps jsonb;  -- dependent's id -> the ids of those dependencies (its branch decision reads them)
  v_skipped_input boolean;  -- some of this turn's finished steps were skipped (not completed)
  v_now timestamptz := tributary.now();
  v_queues text[];
  v_skipped bigint[];
  v_skipped_workflows bigint[];
  v_maps bigint[];
  v_finished bigint[] := p_step_ids;  -- this turn's finished steps: the input, then the steps skipped and maps completed
  v_completed_maps bigint[];
  v_settle bigint[] := '{}';  -- workflow of each step skipped or finished by a map: settled once, after every level
BEGIN
  -- One level per turn, not one call per level: a skip that runs down a chain of thousands of
  -- steps must not recurse that deep.
  LOOP
    -- The dependents of the finished steps, and how many of their dependencies just finished:
    -- read from the edges index only. Most steps of wide workflows have none.
    SELECT pg_catalog.array_agg(c.step_id ORDER BY c.step_id), pg_catalog.jsonb_object_agg(c.step_id, c.n),
           pg_catalog.jsonb_object_agg(c.step_id, pg_catalog.to_jsonb(c.deps))
    INTO v_children, v_counts, v_finished_deps
    FROM (SELECT d.step_id, pg_catalog.count(*)::integer AS n, pg_catalog.array_agg(d.depends_on_step_id) AS deps
          FROM tributary.step_dependencies AS d
          WHERE d.depends_on_step_id = ANY (v_finished)
          GROUP BY d.step_id) AS c;
    IF v_children IS NULL THEN
      EXIT;
    END IF;
    IF v_skipped_input IS NULL THEN  -- unknown: completed and skipped steps may be mixed
      v_skipped_input := EXISTS (SELECT 1 FROM tributary.steps AS i WHERE i.id = ANY (v_finished) AND i.state = 'skipped');
    END IF;

    IF pg_catalog.cardinality(v_children) > 1 THEN  -- one row needs no lock order
      PERFORM 1 FROM tributary.steps AS s
      WHERE s.id = ANY (v_children) AND s.state = 'pending'
      ORDER BY s.id
      FOR NO KEY UPDATE;
    END IF;

    -- all_completed (the default): skipped as soon as one dependency is not taken, available at 0.
    -- any_completed: at 0, available if some completed dependency was taken, else skipped.
    -- A map step at 0 stays pending: _expand_maps expands or collects it.
    WITH unlocked AS (
      UPDATE tributary.steps AS s
      SET remaining_deps = s.remaining_deps - (v_counts ->> s.id::text)::integer,
          -- The decision is written once; finalized_at follows it (set exactly for a skip).
          (state, finalized_at) = (
            SELECT decision.state, CASE WHEN decision.state = 'skipped' THEN v_now END
            FROM (SELECT
                    CASE
                        WHEN s.run_when = 'all_completed' AND (s.run_if IS NOT NULL OR v_skipped_input) AND EXISTS (
                               SELECT 1 FROM tributary.steps AS p
                               -- its dependencies that just finished, by key from the first query (not
                               -- its edges filtered by = ANY (v_finished): one probe per finished step)
                               WHERE p.id = ANY (ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_finished_deps -> s.id::text)::bigint))
                                 AND (p.state = 'skipped'
                                      OR (s.run_if ? p.task_name AND NOT coalesce(p.result @> (s.run_if -> p.task_name), false)))) THEN 'skipped'
                        WHEN s.remaining_deps > (v_counts ->> s.id::text)::integer THEN 'pending'
                        WHEN s.run_when = 'any_completed' AND NOT EXISTS (
                               SELECT 1 FROM tributary.steps AS p
                               WHERE p.id = ANY (ARRAY(SELECT d.depends_on_step_id FROM tributary.step_dependencies AS d
                                                       WHERE d.step_id = s.id))
                                 AND p.state = 'completed'
                                 AND (s.run_if IS NULL OR NOT s.run_if ? p.task_name
                                      OR coalesce(p.result @> (s.run_if -> p.task_name), false))) THEN 'skipped'
                        WHEN s.map_over IS NOT NULL THEN 'pending'
                        ELSE 'available'
                      END AS state
                  OFFSET 0  -- evaluated once: not copied into both columns by the planner
                 ) AS decision
          )
      WHERE s.id = ANY (v_children) AND s.state = 'pending'
      RETURNING s.id, s.workflow_id, s.queue, s.state, s.scheduled_at, s.remaining_deps, s.map_over
    )
    SELECT pg_catalog.array_agg(DISTINCT u.queue) FILTER (WHERE u.state = 'available' AND u.scheduled_at <= v_now),
           pg_catalog.array_agg(u.id ORDER BY u.id) FILTER (WHERE u.state = 'skipped'),
           pg_catalog.array_agg(u.workflow_id) FILTER (WHERE u.state = 'skipped'),
           pg_catalog.array_agg(u.id ORDER BY u.id) FILTER (WHERE u.state = 'pending' AND u.remaining_deps = 0 AND u.map_over IS NOT NULL)
    INTO v_queues, v_skipped, v_skipped_workflows, v_maps
    FROM unlocked AS u;

    IF v_queues IS NOT NULL THEN
      PERFORM tributary._notify_available(v_queues);
    END IF;
    v_completed_maps := NULL;
    IF v_maps IS NOT NULL THEN
      SELECT e.completed, v_settle || e.settle INTO v_completed_maps, v_settle FROM tributary._expand_maps(v_maps) AS e;
    END IF;
    v_settle := v_settle || coalesce(v_skipped_workflows, '{}');
    -- What depends on a skipped step or on a map that just completed learns it the same way, next turn.
    v_finished := coalesce(v_skipped, '{}') || coalesce(v_completed_maps, '{}');
    IF pg_catalog.cardinality(v_finished) = 0 THEN
      EXIT;
    END IF;
    v_skipped_input := CASE WHEN pg_catalog.cardinality(v_completed_maps) > 0 THEN NULL ELSE true END;
  END LOOP;
  -- The workflows of the steps skipped, and of those _expand_maps finished, are settled (their
  -- rows locked) only after every step lock of
  -- every level is held: steps first, then workflows, the order of complete_steps and the other
  -- callers. Settling inside the loop locked a workflow and then, a level down, steps, and
  -- deadlocked with a concurrent completion of the same workflow that held those steps.
  IF pg_catalog.cardinality(v_settle) > 0 THEN
    PERFORM tributary._settle_workflows(v_settle);
  END IF;
END;
$$;

COMMENT ON FUNCTION tributary._unlock_dependents(bigint[]) IS
  'Internal: after steps completed or were skipped, counts down their dependents'' remaining_deps, skips the branches not taken, makes those at 0 available and expands or collects map steps at 0. O(out-degree).';

COMMIT;
