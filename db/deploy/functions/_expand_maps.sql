-- Deploy tributary:functions/_expand_maps
-- requires: columns/steps_maps_branches
-- requires: columns/settings_max_map_elements
-- requires: functions/_cancel_downstream
-- requires: functions/_settle_workflows
-- requires: functions/_notify_available
--
-- Called (by _unlock_dependents and _reopen_steps) with map steps whose remaining_deps reached 0
-- while pending. A map step not yet expanded (map_size NULL) expands: the array is read from its
-- dependency map_over's result (at map_path), and one element step per element is inserted in
-- one set-based statement (task name "<map>[<index>]", the map's kind and options, args: the
-- map's args with "element" set to the element), each with an edge to the map step, which
-- then waits (pending) with remaining_deps = the number of elements. An empty array completes
-- the map at once with []. A map step already expanded has no element left: it completes with
-- the array of its elements' results in element order (one read of its edges). Returns the map
-- steps it completed (completed) and the workflow of each step it finished (settle): the caller
-- unlocks their dependents (_unlock_dependents does so in its next turn, so that a chain of maps
-- over empty arrays never recurses) and settles the workflows once it holds every step lock it
-- needs (steps first, then workflow rows: settling here deadlocked with a concurrent completion
-- that held the next level's steps and waited for the workflow row).
--
-- Bad input is contained to the map step: a missing path (TB323), a value that is not an array
-- (TB322), more than settings.max_map_elements elements (TB324), or any error while inserting
-- the elements discards the map step (the reason recorded in its errors, with the SQLSTATE),
-- cancels its downstream steps (the caller settles the workflow); the transaction that completed
-- the dependency still commits. Locks the map steps (the caller holds them), their downstream
-- steps, and, when a map expands, its workflow row (the counters grow by the elements, at once:
-- a later count-down in the same transaction must not finalize the workflow early).
-- O(elements): the elements are written from the array alone and collected through the map
-- step's edges (primary-key lookups); completing one element never reads the others.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._expand_maps(
  p_map_ids bigint[],
  OUT completed bigint[],
  OUT settle bigint[]
)
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
  v_max integer := (tributary._settings()).max_map_elements;
  v_map record;
  v_source jsonb;
  v_array jsonb;
  v_n integer;
  v_problem text;
  v_code text;
  v_creating text;
  v_cancelled bigint[];
  v_completed bigint[] := '{}';
  v_settle bigint[] := '{}';
  v_queues text[] := '{}';
BEGIN
  FOR v_map IN
    SELECT s.id, s.workflow_id, s.task_name, s.kind, s.args, s.map_over, s.map_path, s.map_size, s.queue,
           s.priority, s.max_attempts, s.timeout, s.retry_backoff, s.scheduled_at, s.attempt, s.concurrency_key
    FROM tributary.steps AS s
    WHERE s.id = ANY (p_map_ids) AND s.state = 'pending' AND s.remaining_deps = 0 AND s.map_over IS NOT NULL
    ORDER BY s.id
  LOOP
    IF v_map.map_size IS NOT NULL THEN
      -- Every element completed: the results in element order.
      UPDATE tributary.steps AS m
      SET state = 'completed',
          finalized_at = v_now,
          result = coalesce((SELECT pg_catalog.jsonb_agg(e.result ORDER BY e.map_index)
                             FROM tributary.steps AS e
                             WHERE e.id = ANY (ARRAY(SELECT d.depends_on_step_id FROM tributary.step_dependencies AS d
                                                     WHERE d.step_id = v_map.id))
                               AND e.map_step_id = v_map.id), '[]')
      WHERE m.id = v_map.id;
      v_completed := v_completed || v_map.id;
      v_settle := v_settle || v_map.workflow_id;
      CONTINUE;
    END IF;

    v_problem := NULL;
    SELECT p.result INTO v_source
    FROM tributary.steps AS p
    WHERE p.workflow_id = v_map.workflow_id AND p.task_name = v_map.map_over;
    v_array := CASE WHEN v_map.map_path IS NULL THEN v_source
                    ELSE v_source #> pg_catalog.string_to_array(v_map.map_path, '.') END;
    IF v_array IS NULL THEN
      v_code := 'TB323';
      v_problem := CASE WHEN v_map.map_path IS NULL
                     THEN pg_catalog.format('map task "%s": task "%s" completed without a result to map over', v_map.task_name, v_map.map_over)
                     ELSE pg_catalog.format('map task "%s": the result of task "%s" has nothing at path "%s"', v_map.task_name, v_map.map_over, v_map.map_path)
                   END;
    ELSIF pg_catalog.jsonb_typeof(v_array) <> 'array' THEN
      v_code := 'TB322';
      v_problem := pg_catalog.format('map task "%s": the value to map over (task "%s"%s) is a JSON %s, not an array',
                                     v_map.task_name, v_map.map_over,
                                     coalesce(pg_catalog.format(', path "%s"', v_map.map_path), ''),
                                     pg_catalog.jsonb_typeof(v_array));
    ELSE
      v_n := pg_catalog.jsonb_array_length(v_array);
      IF v_n > v_max THEN
        v_code := 'TB324';
        v_problem := pg_catalog.format('map task "%s": %s elements to map over, more than settings.max_map_elements (%s)',
                                       v_map.task_name, v_n, v_max);
      ELSIF v_n = 0 THEN
        UPDATE tributary.steps AS m
        SET state = 'completed', finalized_at = v_now, result = '[]', map_size = 0
        WHERE m.id = v_map.id;
        v_completed := v_completed || v_map.id;
        v_settle := v_settle || v_map.workflow_id;
        CONTINUE;
      ELSE
        BEGIN
          v_creating := pg_catalog.current_setting('tributary.creating_workflow', true);
          PERFORM pg_catalog.set_config('tributary.creating_workflow', 'on', true);  -- resolved rows
          WITH elements AS (
            INSERT INTO tributary.steps (
              workflow_id, task_name, kind, args, depends_on, queue, priority, max_attempts, timeout,
              retry_backoff, state, remaining_deps, scheduled_at, created_at, map_step_id, map_index,
              concurrency_key
            )
            SELECT v_map.workflow_id, v_map.task_name || '[' || (e.ord - 1) || ']', v_map.kind,
                   v_map.args || pg_catalog.jsonb_build_object('element', e.value), '{}', v_map.queue,
                   v_map.priority, v_map.max_attempts, v_map.timeout, v_map.retry_backoff, 'available', 0,
                   v_map.scheduled_at, v_now, v_map.id, (e.ord - 1)::integer, v_map.concurrency_key
            FROM pg_catalog.jsonb_array_elements(v_array) WITH ORDINALITY AS e(value, ord)
            ORDER BY e.ord
            RETURNING id
          )
          INSERT INTO tributary.step_dependencies (step_id, depends_on_step_id)
          SELECT v_map.id, elements.id FROM elements;
          PERFORM pg_catalog.set_config('tributary.creating_workflow', coalesce(v_creating, 'off'), true);
          UPDATE tributary.steps AS m SET map_size = v_n, remaining_deps = v_n WHERE m.id = v_map.id;
          UPDATE tributary.workflows AS w
          SET steps_total = w.steps_total + v_n, steps_unfinished = w.steps_unfinished + v_n
          WHERE w.id = v_map.workflow_id;
          IF v_map.scheduled_at <= v_now THEN
            v_queues := v_queues || v_map.queue;
          END IF;
        EXCEPTION WHEN OTHERS THEN
          v_code := SQLSTATE;
          v_problem := pg_catalog.format('map task "%s": its %s elements cannot be created: %s', v_map.task_name, v_n, SQLERRM);
        END;
      END IF;
    END IF;

    IF v_problem IS NOT NULL THEN
      UPDATE tributary.steps AS m
      SET state = 'discarded',
          finalized_at = v_now,
          errors = m.errors || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                     'attempt', m.attempt, 'at', v_now, 'message', v_problem, 'sqlstate', v_code))
      WHERE m.id = v_map.id;
      v_cancelled := tributary._cancel_downstream(
        v_map.id, pg_catalog.format('upstream step "%s" was discarded', v_map.task_name));
      v_settle := v_settle || pg_catalog.array_fill(v_map.workflow_id, ARRAY[1 + pg_catalog.cardinality(v_cancelled)]);
    END IF;
  END LOOP;


  IF pg_catalog.cardinality(v_queues) > 0 THEN
    PERFORM tributary._notify_available(ARRAY(SELECT DISTINCT q.queue FROM pg_catalog.unnest(v_queues) AS q(queue)));
  END IF;
  completed := v_completed;
  settle := v_settle;
END;
$$;

COMMENT ON FUNCTION tributary._expand_maps(bigint[]) IS
  'Internal: expands map steps whose dependencies completed into one element step per array element (an empty array completes the map with []), or completes a map whose elements all completed with their results in order; returns the maps it completed. A map that cannot expand (TB322 not an array, TB323 missing path, TB324 too many elements) is discarded, contained to it.';

REVOKE ALL ON FUNCTION tributary._expand_maps(bigint[]) FROM PUBLIC;  -- internal: no role calls it

COMMIT;
