-- Deploy tributary:functions/claim_steps
-- requires: functions/claim_step
--
-- claim_step() plus, per claimed step, how each of its dependencies' results was made
-- (dependency_attempts, keyed by task name like dependency_results) and, for an element of a map
-- step, where its element came from (map_element): a sealed result is bound to what made it, so
-- a result put back from an older attempt, another step or another workflow does not open.
-- claim_step() keeps its columns for callers that read them by position (workers of the first
-- release); the claim itself is claim_step's, one transition in one place.
--
-- tributary._result_origin(step) says how a completed step's result was made:
--   <attempt> (an integer)        a worker's attempt produced it (complete_step);
--   {"made": "sleep"}             a sleep ended: the result is NULL;
--   {"made": "wait", "event": e, "key": k}
--                                 a wait for event e (k: its correlation key, or null for an
--                                 event sent to the workflow) ended: the result is the payload of
--                                 send_event or the declared timeout default;
--   {"made": "child", "workflow_id": c, "leaves": {task: origin, ...}}
--                                 the child workflow c completed: the result holds each leaf's
--                                 result, keyed by task name, each made as its origin says;
--   {"made": "map", "elements": [origin, ...]}
--                                 a map step: the result is its elements' results in order, the
--                                 element at index i made as elements[i] says (task "<map>[i]").
-- tributary._map_element(step) gives an element step of a map {"map", "over", "index", "size",
-- "origin"}: its map's task name, the dependency mapped over, its index, the number of
-- elements, and how that dependency's result was made (NULL for other steps; only a task name
-- ending in "]" is looked at). Both helpers are PL/pgSQL: the columns they read (steps.wait,
-- steps.map_*, workflows.parent_*) are added by later changes of the plan and bound at first call.
-- Cost: one primary-key read per dependency, plus one probe of workflows_parent_step_idx (a
-- later change) when it is neither a wait nor a map; claim_steps reads a worker's attempt itself
-- and calls _result_origin only for a wait, a map or a step that had a child workflow. A map
-- reads its elements through its edges and a child its leaves, O(the result's pieces): the
-- result itself is that large.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._result_origin(p_step_id bigint)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
DECLARE
  v_step record;
  v_child bigint;
BEGIN
  SELECT s.id, s.workflow_id, s.attempt, s.wait, s.map_size, s.finalized_at INTO v_step
  FROM tributary.steps AS s WHERE s.id = p_step_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF v_step.wait IS NOT NULL THEN
    IF v_step.wait ? 'event' THEN
      RETURN pg_catalog.jsonb_build_object('made', 'wait', 'event', v_step.wait -> 'event',
                                           'key', coalesce(v_step.wait -> 'key', 'null'));
    END IF;
    RETURN '{"made": "sleep"}';
  END IF;
  IF v_step.map_size IS NOT NULL THEN
    RETURN pg_catalog.jsonb_build_object('made', 'map', 'elements', coalesce(
      (SELECT pg_catalog.jsonb_agg(tributary._result_origin(e.id) ORDER BY e.map_index)
       FROM tributary.steps AS e
       WHERE e.id = ANY (ARRAY(SELECT d.depends_on_step_id FROM tributary.step_dependencies AS d
                               WHERE d.step_id = v_step.id))
         AND e.map_step_id = v_step.id), '[]'));
  END IF;
  -- The child whose completion completed this step: it finalized in the same transaction
  -- (trigger _900_resume_parent), so at the same engine time. A child of an earlier attempt
  -- that failed, or one that completed while the step had stopped waiting for it, is not it.
  SELECT w.id INTO v_child
  FROM tributary.workflows AS w
  WHERE w.parent_step_id = v_step.id AND w.state = 'completed' AND w.finalized_at = v_step.finalized_at
  ORDER BY w.id DESC
  LIMIT 1;
  IF FOUND THEN
    RETURN pg_catalog.jsonb_build_object('made', 'child', 'workflow_id', v_child, 'leaves', coalesce(
      (SELECT pg_catalog.jsonb_object_agg(s.task_name, tributary._result_origin(s.id))
       FROM tributary.steps AS s
       WHERE s.workflow_id = v_child
         AND NOT EXISTS (SELECT 1 FROM tributary.step_dependencies AS d WHERE d.depends_on_step_id = s.id)),
      '{}'));
  END IF;
  -- claim_steps reads this last case itself (no wait, no map, no child workflow) and calls this
  -- function only for the others: a change here is a change there.
  RETURN pg_catalog.to_jsonb(v_step.attempt);
END;
$$;

COMMENT ON FUNCTION tributary._result_origin(bigint) IS
  'Internal: how a step''s result was made: the attempt (integer) of the worker that completed it, or {"made": "sleep"|"wait"|"child"|"map", ...} for a result the engine made (see claim_steps).';
REVOKE ALL ON FUNCTION tributary._result_origin(bigint) FROM PUBLIC;  -- internal: claim_steps runs as its owner

CREATE OR REPLACE FUNCTION tributary._map_element(p_step_id bigint)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
BEGIN
  RETURN (SELECT pg_catalog.jsonb_build_object(
                   'map', m.task_name, 'over', m.map_over, 'index', e.map_index, 'size', m.map_size,
                   'origin', (SELECT tributary._result_origin(o.id) FROM tributary.steps AS o
                              WHERE o.workflow_id = m.workflow_id AND o.task_name = m.map_over))
          FROM tributary.steps AS e
          JOIN tributary.steps AS m ON m.id = e.map_step_id
          WHERE e.id = p_step_id);
END;
$$;

COMMENT ON FUNCTION tributary._map_element(bigint) IS
  'Internal: for an element step of a map, {map, over, index, size, origin}: the map''s task name, the dependency it maps over, the element''s index, the number of elements and how that dependency''s result was made; NULL for any other step.';
REVOKE ALL ON FUNCTION tributary._map_element(bigint) FROM PUBLIC;  -- internal: claim_steps runs as its owner

CREATE OR REPLACE FUNCTION tributary.claim_steps(
  p_queue text,
  p_worker_id text,
  p_max_steps integer DEFAULT 1
)
RETURNS TABLE (
  step_id bigint,
  workflow_id bigint,
  task_name text,
  kind text,
  args jsonb,
  attempt integer,
  max_attempts integer,
  queue text,
  priority integer,
  timeout interval,
  deadline_at timestamptz,
  lease_expires_at timestamptz,
  dependency_results jsonb,
  dependency_attempts jsonb,
  has_dependents boolean,
  map_element jsonb
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
#variable_conflict use_column
BEGIN
  -- PL/pgSQL, not SQL: a SQL function is planned again at every call (its plan lives only as
  -- long as the calling statement), which cost a chain about 0.2 ms per hop.
  RETURN QUERY
  SELECT c.step_id, c.workflow_id, c.task_name, c.kind, c.args, c.attempt, c.max_attempts, c.queue,
         c.priority, c.timeout, c.deadline_at, c.lease_expires_at, c.dependency_results,
         -- A dependency a worker completed (no wait, no map, no child workflow: nearly all) is its
         -- attempt, read here as _result_origin's last case; only the others call _result_origin (a function call per
         -- dependency cost a 1 -> 1,000 -> 1 fan-out about 0.05 ms per claimed step).
         CASE WHEN c.dependency_results = '{}' THEN '{}'::jsonb
              ELSE (SELECT pg_catalog.jsonb_object_agg(
                             p.task_name,
                             CASE WHEN p.wait IS NULL AND p.map_size IS NULL
                                       AND NOT EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.parent_step_id = p.id)
                                  THEN pg_catalog.to_jsonb(p.attempt)
                                  ELSE tributary._result_origin(p.id)
                             END)
                    FROM tributary.steps AS p
                    WHERE p.id = ANY (ARRAY(SELECT d.depends_on_step_id FROM tributary.step_dependencies AS d
                                            WHERE d.step_id = c.step_id)))
         END,
         c.has_dependents,
         CASE WHEN c.task_name LIKE '%]' THEN tributary._map_element(c.step_id) END
  FROM tributary.claim_step(p_queue, p_worker_id, p_max_steps) AS c;
END;
$$;

COMMENT ON FUNCTION tributary.claim_steps(text, text, integer) IS
  'claim_step plus, per claimed step, how each dependency''s result was made (dependency_attempts: the attempt, or {"made": "sleep"|"wait"|"child"|"map", ...}, keyed by task name) and, for an element of a map, map_element {map, over, index, size, origin}: sealed results are bound to what made them.';

COMMIT;
