-- Deploy tributary:functions/_unlock_dependents
-- requires: tables/step_dependencies
-- requires: functions/_notify_available
--
-- Called after steps completed: decrements remaining_deps of each pending dependent once per
-- completed dependency, makes the ones that reach 0 available, and notifies their queues.
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
  v_counts jsonb;  -- dependent's id -> how many of its dependencies just completed
  v_now timestamptz := tributary.now();
  v_queues text[];
BEGIN
  -- The dependents of the completed steps, and how many of their dependencies just completed:
  -- read from the edges index only. Most steps of wide workflows have none.
  SELECT pg_catalog.array_agg(c.step_id ORDER BY c.step_id), pg_catalog.jsonb_object_agg(c.step_id, c.n)
  INTO v_children, v_counts
  FROM (SELECT d.step_id, pg_catalog.count(*)::integer AS n
        FROM tributary.step_dependencies AS d
        WHERE d.depends_on_step_id = ANY (p_step_ids)
        GROUP BY d.step_id) AS c;
  IF v_children IS NULL THEN
    RETURN;
  END IF;

  IF pg_catalog.cardinality(v_children) > 1 THEN  -- one row needs no lock order
    PERFORM 1 FROM tributary.steps AS s
    WHERE s.id = ANY (v_children) AND s.state = 'pending'
    ORDER BY s.id
    FOR NO KEY UPDATE;
  END IF;

  WITH unlocked AS (
    UPDATE tributary.steps AS s
    SET remaining_deps = s.remaining_deps - (v_counts ->> s.id::text)::integer,
        state = CASE WHEN s.remaining_deps = (v_counts ->> s.id::text)::integer THEN 'available' ELSE 'pending' END
    WHERE s.id = ANY (v_children) AND s.state = 'pending'
    RETURNING s.queue, s.state, s.scheduled_at
  )
  SELECT pg_catalog.array_agg(DISTINCT u.queue) INTO v_queues
  FROM unlocked AS u
  WHERE u.state = 'available' AND u.scheduled_at <= v_now;

  IF v_queues IS NOT NULL THEN
    PERFORM tributary._notify_available(v_queues);
  END IF;
END;
$$;

COMMENT ON FUNCTION tributary._unlock_dependents(bigint[]) IS
  'Internal: after steps completed, counts down their dependents'' remaining_deps and makes those at 0 available. O(out-degree).';

COMMIT;
