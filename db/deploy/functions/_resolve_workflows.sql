-- Deploy tributary:functions/_resolve_workflows
-- requires: functions/_check_acyclic
-- requires: functions/_notify_available
--
-- Turns the steps of newly inserted workflows (plain INSERTs or COPY, resolved at COMMIT) into
-- validated graphs, all workflows of the transaction at once: checks each has steps (TB004),
-- that every dependency names another task of its workflow (TB002; TB001 for the task itself),
-- writes the edges, checks there is no cycle (TB001), sets each step's remaining_deps and
-- state, the workflows' counters, and notifies the queues that got claimable steps. Errors name
-- the workflow and the task. Locks the workflow rows in id order.
--
-- O(steps + edges) whatever the statistics say: every table is read by key
-- (workflow_id = ANY (...), the unique index on (workflow_id, task_name)) with no join; a
-- dependency is found in a jsonb object 'workflow id/task name' -> step id built from one read
-- of the steps. Only a workflow with an edge to a newer step (listed after its dependent) pays
-- for the full cycle check.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._resolve_workflows(p_workflow_ids bigint[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_names jsonb;    -- 'workflow id/task name' -> step id
  v_counts jsonb;   -- workflow id -> number of steps
  v_bad record;
  v_cyclic bigint[];
  v_queues text[];
BEGIN
  PERFORM 1 FROM tributary.workflows AS w WHERE w.id = ANY (p_workflow_ids) ORDER BY w.id FOR NO KEY UPDATE;

  SELECT pg_catalog.jsonb_object_agg(s.workflow_id || '/' || s.task_name, s.id) INTO v_names
  FROM tributary.steps AS s WHERE s.workflow_id = ANY (p_workflow_ids);
  SELECT pg_catalog.jsonb_object_agg(c.workflow_id, c.n) INTO v_counts
  FROM (SELECT s.workflow_id, pg_catalog.count(*)::integer AS n
        FROM tributary.steps AS s WHERE s.workflow_id = ANY (p_workflow_ids)
        GROUP BY s.workflow_id) AS c;

  SELECT u.id INTO v_bad
  FROM pg_catalog.unnest(p_workflow_ids) AS u(id)
  WHERE v_counts IS NULL OR NOT v_counts ? u.id::text
  ORDER BY u.id
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'workflow % has no steps', v_bad.id
      USING ERRCODE = 'TB004',
            HINT = 'A workflow needs at least one step; insert its steps in the same transaction.';
  END IF;

  -- The first bad dependency in insertion order. OFFSET 0 keeps the ORDER BY ... LIMIT outside:
  -- planned together, they could walk the primary key in order through every step there is.
  SELECT b.task_name, b.name INTO v_bad
  FROM (SELECT s.id, s.task_name, d.name
        FROM tributary.steps AS s
        CROSS JOIN LATERAL pg_catalog.unnest(s.depends_on) AS d(name)
        WHERE s.workflow_id = ANY (p_workflow_ids)
          AND (d.name = s.task_name OR NOT v_names ? (s.workflow_id || '/' || d.name))
        OFFSET 0) AS b
  ORDER BY b.id
  LIMIT 1;
  IF FOUND AND v_bad.name = v_bad.task_name THEN
    RAISE EXCEPTION 'dependency cycle at task "%": it depends on itself', v_bad.task_name
      USING ERRCODE = 'TB001',
            DETAIL = pg_catalog.format('cycle: %I -> %I', v_bad.task_name, v_bad.task_name),
            HINT = 'Remove the task from its own depends_on.';
  ELSIF FOUND THEN
    RAISE EXCEPTION 'task "%" depends on unknown task "%"', v_bad.task_name, v_bad.name
      USING ERRCODE = 'TB002',
            HINT = 'depends_on names tasks of the same workflow; check the spelling or add the task.';
  END IF;

  WITH edges AS (
    SELECT DISTINCT s.workflow_id, s.id AS step_id, (v_names ->> (s.workflow_id || '/' || d.name))::bigint AS depends_on_step_id
    FROM tributary.steps AS s
    CROSS JOIN LATERAL pg_catalog.unnest(s.depends_on) AS d(name)
    WHERE s.workflow_id = ANY (p_workflow_ids)
  ), inserted AS (
    INSERT INTO tributary.step_dependencies (step_id, depends_on_step_id)
    SELECT edges.step_id, edges.depends_on_step_id FROM edges
  )
  SELECT pg_catalog.array_agg(DISTINCT edges.workflow_id) INTO v_cyclic
  FROM edges WHERE edges.depends_on_step_id > edges.step_id;

  IF v_cyclic IS NOT NULL THEN
    PERFORM tributary._check_acyclic(c.id) FROM pg_catalog.unnest(v_cyclic) AS c(id) ORDER BY c.id;
  END IF;

  -- Steps inserted directly arrive unresolved; create_workflow() inserts them resolved already.
  WITH resolved AS (
    UPDATE tributary.steps AS s
    SET remaining_deps = (SELECT pg_catalog.count(DISTINCT d.name)::integer FROM pg_catalog.unnest(s.depends_on) AS d(name)),
        state = CASE WHEN pg_catalog.cardinality(s.depends_on) = 0 THEN 'available' ELSE 'pending' END
    WHERE s.workflow_id = ANY (p_workflow_ids) AND s.remaining_deps IS NULL
    RETURNING s.queue, s.state, s.scheduled_at
  )
  SELECT pg_catalog.array_agg(DISTINCT resolved.queue) INTO v_queues
  FROM resolved
  WHERE resolved.state = 'available' AND resolved.scheduled_at <= v_now;

  UPDATE tributary.workflows AS w
  SET steps_total = (v_counts ->> w.id::text)::integer,
      steps_unfinished = (v_counts ->> w.id::text)::integer
  WHERE w.id = ANY (p_workflow_ids);

  IF v_queues IS NOT NULL THEN
    PERFORM tributary._notify_available(v_queues);
  END IF;
END;
$$;

COMMENT ON FUNCTION tributary._resolve_workflows(bigint[]) IS
  'Internal: validates the graphs of directly inserted workflows, all at once (TB004 empty, TB002 unknown dependency, TB001 cycle), writes their edges and counters, makes their root steps available.';

COMMIT;
