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
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
DECLARE
  v_ids bigint[];          -- node index -> step id
  v_n integer;
  v_indeg integer[];       -- node index -> dependencies not yet removed
  v_offset integer[];      -- children of node i are v_children[v_offset[i] .. v_offset[i+1]-1]
  v_children integer[];
  v_parents integer[];      -- v_parents[k] is the node whose child is v_children[k]
  v_queue integer[];
  v_head integer := 1;
  v_tail integer := 0;
  v_node integer;
  v_child integer;
  v_path integer[];
  v_next integer;
  v_pick integer[];        -- node index -> one of its dependencies left after Kahn
  v_seen integer[];        -- node index -> its position in the walk, 0 if not walked
  v_length integer := 0;
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

  -- The workflow's edges as (parent index, child index), sorted by parent: the children of a
  -- node are then one slice of v_children.
  SELECT coalesce(pg_catalog.array_agg(e.c ORDER BY e.p, e.c), '{}'),
         coalesce(pg_catalog.array_agg(e.p ORDER BY e.p, e.c), '{}')
  INTO v_children, v_parents
  FROM (
    SELECT child.idx::integer AS c, parent.idx::integer AS p
    FROM pg_catalog.unnest(v_ids) WITH ORDINALITY AS child(id, idx)
    JOIN tributary.step_dependencies AS d ON d.step_id = child.id
    JOIN pg_catalog.unnest(v_ids) WITH ORDINALITY AS parent(id, idx) ON parent.id = d.depends_on_step_id
  ) AS e;

  v_indeg := pg_catalog.array_fill(0, ARRAY[v_n]);
  v_offset := pg_catalog.array_fill(0, ARRAY[v_n + 1]);
  FOR k IN 1 .. pg_catalog.cardinality(v_children) LOOP
    v_indeg[v_children[k]] := v_indeg[v_children[k]] + 1;
    v_offset[v_parents[k] + 1] := v_offset[v_parents[k] + 1] + 1;
  END LOOP;
  v_offset[1] := 1;
  FOR i IN 1 .. v_n LOOP
    v_offset[i + 1] := v_offset[i + 1] + v_offset[i];
  END LOOP;

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

  -- A cycle exists among the nodes left (indegree still > 0); each has a dependency that is
  -- left too. Walk from one of them along such dependencies until a node repeats: the walk from
  -- that node on is a cycle. O(steps + edges).
  v_pick := pg_catalog.array_fill(0, ARRAY[v_n]);
  FOR k IN 1 .. pg_catalog.cardinality(v_children) LOOP
    IF v_indeg[v_children[k]] > 0 AND v_indeg[v_parents[k]] > 0 THEN
      v_pick[v_children[k]] := v_parents[k];
    END IF;
  END LOOP;
  v_seen := pg_catalog.array_fill(0, ARRAY[v_n]);
  SELECT i INTO v_node FROM pg_catalog.generate_subscripts(v_indeg, 1) AS i WHERE v_indeg[i] > 0 LIMIT 1;
  v_path := '{}';
  LOOP
    v_length := v_length + 1;
    v_seen[v_node] := v_length;
    v_path[v_length] := v_node;
    v_node := v_pick[v_node];
    EXIT WHEN v_seen[v_node] > 0;
  END LOOP;
  v_next := v_node;
  v_path := v_path[v_seen[v_node]:v_length] || v_node;

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
