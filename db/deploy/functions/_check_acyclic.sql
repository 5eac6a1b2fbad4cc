-- Deploy tributary:functions/_check_acyclic
-- requires: tables/step_dependencies
--
-- Raises TB001 (cycle_detected) when the resolved edges of a workflow contain a cycle, naming a
-- task on it and the cycle itself. O(steps + edges): when every edge points to an older step
-- (the usual case: tasks listed after their dependencies) the ids are a topological order and
-- one query proves it; otherwise Kahn's algorithm runs over arrays in memory. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._check_acyclic(p_workflow_id bigint)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
DECLARE
  v_ids bigint[];          -- node index -> step id
  v_n integer;
  v_indeg integer[];       -- node index -> dependencies not yet removed
  v_offset integer[];      -- children of node i are v_children[v_offset[i] .. v_offset[i+1]-1]
  v_children integer[];
  v_queue integer[];
  v_head integer := 1;
  v_tail integer := 0;
  v_node integer;
  v_child integer;
  v_path integer[];
  v_next integer;
  v_cycle text;
BEGIN
  IF NOT EXISTS (
    SELECT 1
    FROM tributary.steps AS s
    JOIN tributary.step_dependencies AS d ON d.step_id = s.id
    WHERE s.workflow_id = p_workflow_id AND d.depends_on_step_id > d.step_id
  ) THEN
    RETURN;
  END IF;

  SELECT pg_catalog.array_agg(s.id ORDER BY s.id) INTO v_ids
  FROM tributary.steps AS s WHERE s.workflow_id = p_workflow_id;
  v_n := pg_catalog.cardinality(v_ids);

  WITH node AS (
    SELECT u.id, u.idx::integer AS idx FROM pg_catalog.unnest(v_ids) WITH ORDINALITY AS u(id, idx)
  ), edge AS (
    SELECT parent.idx AS p, child.idx AS c
    FROM tributary.step_dependencies AS d
    JOIN node AS child ON child.id = d.step_id
    JOIN node AS parent ON parent.id = d.depends_on_step_id
  ), degree AS (
    SELECT node.idx, coalesce(outdeg.n, 0) AS outdeg
    FROM node
    LEFT JOIN (SELECT edge.p, pg_catalog.count(*) AS n FROM edge GROUP BY edge.p) AS outdeg ON outdeg.p = node.idx
  )
  SELECT
    (SELECT pg_catalog.array_agg(coalesce(i.n, 0)::integer ORDER BY node.idx)
       FROM node LEFT JOIN (SELECT edge.c, pg_catalog.count(*) AS n FROM edge GROUP BY edge.c) AS i ON i.c = node.idx),
    (SELECT pg_catalog.array_agg(o.off ORDER BY o.idx)
       FROM (SELECT degree.idx, (pg_catalog.sum(degree.outdeg) OVER (ORDER BY degree.idx) - degree.outdeg + 1)::integer AS off
             FROM degree) AS o),
    (SELECT coalesce(pg_catalog.array_agg(edge.c ORDER BY edge.p, edge.c), '{}') FROM edge)
  INTO v_indeg, v_offset, v_children;
  v_offset := v_offset || (pg_catalog.cardinality(v_children) + 1);

  -- Kahn: repeatedly remove a node whose dependencies are all removed.
  v_queue := pg_catalog.array_fill(0, ARRAY[v_n]);
  FOR i IN 1 .. v_n LOOP
    IF v_indeg[i] = 0 THEN
      v_tail := v_tail + 1;
      v_queue[v_tail] := i;
    END IF;
  END LOOP;
  WHILE v_head <= v_tail LOOP
    v_node := v_queue[v_head];
    v_head := v_head + 1;
    FOR k IN v_offset[v_node] .. v_offset[v_node + 1] - 1 LOOP
      v_child := v_children[k];
      v_indeg[v_child] := v_indeg[v_child] - 1;
      IF v_indeg[v_child] = 0 THEN
        v_tail := v_tail + 1;
        v_queue[v_tail] := v_child;
      END IF;
    END LOOP;
  END LOOP;
  IF v_tail = v_n THEN
    RETURN;
  END IF;

  -- A cycle exists among the nodes left. Walk from one of them to a left-over dependency until a
  -- node repeats: the part of the walk from that node on is a cycle.
  SELECT i INTO v_node FROM pg_catalog.generate_subscripts(v_indeg, 1) AS i WHERE v_indeg[i] > 0 LIMIT 1;
  v_path := ARRAY[v_node];
  LOOP
    SELECT parent.idx::integer INTO v_next
    FROM tributary.step_dependencies AS d
    JOIN pg_catalog.unnest(v_ids) WITH ORDINALITY AS parent(id, idx) ON parent.id = d.depends_on_step_id
    WHERE d.step_id = v_ids[v_node] AND v_indeg[parent.idx] > 0
    ORDER BY parent.idx
    LIMIT 1;
    EXIT WHEN v_next = ANY (v_path);
    v_path := v_path || v_next;
    v_node := v_next;
  END LOOP;
  v_path := v_path[pg_catalog.array_position(v_path, v_next):] || v_next;

  SELECT pg_catalog.string_agg(pg_catalog.format('%I', s.task_name), ' -> ' ORDER BY p.ord) INTO v_cycle
  FROM pg_catalog.unnest(v_path) WITH ORDINALITY AS p(idx, ord)
  JOIN tributary.steps AS s ON s.id = v_ids[p.idx];

  RAISE EXCEPTION 'dependency cycle at task "%"', (SELECT s.task_name FROM tributary.steps AS s WHERE s.id = v_ids[v_next])
    USING ERRCODE = 'TB001',
          DETAIL = pg_catalog.format('cycle: %s (each task depends on the next)', v_cycle),
          HINT = 'A workflow must be a DAG: remove one of these dependencies.';
END;
$$;

COMMENT ON FUNCTION tributary._check_acyclic(bigint) IS
  'Internal: raises TB001 cycle_detected naming a task on the cycle when the workflow''s resolved edges are not a DAG. O(steps + edges).';

COMMIT;
