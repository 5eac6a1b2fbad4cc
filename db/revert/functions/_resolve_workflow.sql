-- Revert tributary:functions/_resolve_workflow to its @v0.1.0 form
-- requires: functions/_check_acyclic
-- requires: functions/_notify_available
--
-- Turns the steps of a newly inserted workflow into a validated graph: checks it is not empty,
-- that every dependency names a task of the workflow (and not the task itself), writes the
-- edges, checks there is no cycle, sets each unresolved step's remaining_deps and state, sets the
-- workflow's counters and notifies the queues that got claimable steps. Shared by
-- create_workflow() and the COMMIT-time trigger for steps inserted directly. Set-based:
-- O(steps + edges). Locks the workflow row.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._resolve_workflow(p_workflow_id bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_total integer;
  v_bad record;
BEGIN
  PERFORM 1 FROM tributary.workflows AS w WHERE w.id = p_workflow_id FOR NO KEY UPDATE;

  SELECT pg_catalog.count(*) INTO v_total FROM tributary.steps AS s WHERE s.workflow_id = p_workflow_id;
  IF v_total = 0 THEN
    RAISE EXCEPTION 'workflow % has no steps', p_workflow_id
      USING ERRCODE = 'TB004',
            HINT = 'A workflow needs at least one step; insert its steps in the same transaction.';
  END IF;

  SELECT s.task_name, d.name INTO v_bad
  FROM tributary.steps AS s
  CROSS JOIN LATERAL pg_catalog.unnest(s.depends_on) AS d(name)
  WHERE s.workflow_id = p_workflow_id
    AND (d.name = s.task_name
         OR NOT EXISTS (SELECT 1 FROM tributary.steps AS p
                        WHERE p.workflow_id = p_workflow_id AND p.task_name = d.name))
  ORDER BY s.id
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

  INSERT INTO tributary.step_dependencies (step_id, depends_on_step_id)
  SELECT DISTINCT s.id, p.id
  FROM tributary.steps AS s
  CROSS JOIN LATERAL pg_catalog.unnest(s.depends_on) AS d(name)
  JOIN tributary.steps AS p ON p.workflow_id = s.workflow_id AND p.task_name = d.name
  WHERE s.workflow_id = p_workflow_id;

  PERFORM tributary._check_acyclic(p_workflow_id);

  -- Steps inserted directly arrive unresolved; create_workflow() inserts them resolved already.
  UPDATE tributary.steps AS s
  SET remaining_deps = r.n,
      state = CASE WHEN r.n = 0 THEN 'available' ELSE 'pending' END
  FROM (
    SELECT s2.id, (SELECT pg_catalog.count(DISTINCT d.name)::integer
                   FROM pg_catalog.unnest(s2.depends_on) AS d(name)) AS n
    FROM tributary.steps AS s2
    WHERE s2.workflow_id = p_workflow_id AND s2.remaining_deps IS NULL
  ) AS r
  WHERE s.id = r.id;

  UPDATE tributary.workflows
  SET steps_total = v_total, steps_unfinished = v_total
  WHERE id = p_workflow_id;

  PERFORM tributary._notify_available(pg_catalog.array_agg(DISTINCT s.queue))
  FROM tributary.steps AS s
  WHERE s.workflow_id = p_workflow_id AND s.state = 'available' AND s.scheduled_at <= v_now;
END;
$$;

COMMENT ON FUNCTION tributary._resolve_workflow(bigint) IS
  'Internal: validates a new workflow''s graph (TB004 empty, TB002 unknown dependency, TB001 cycle), writes its edges and counters, makes its root steps available.';

COMMIT;
