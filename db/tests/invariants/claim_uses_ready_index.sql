-- claim_step's query shape reads only the partial ready index (steps_ready_idx), never the whole
-- steps table: with 2,000 pending and 2,000 completed steps in the queue and a few available ones,
-- and no ANALYZE, the plan of the claim query uses steps_ready_idx and has no Seq Scan, both for
-- a literal query and for the generic plan PL/pgSQL caches for its parameterized query.
BEGIN;
SELECT plan(6);

-- EXPLAIN's text output as one string.
CREATE FUNCTION pg_temp.explain_text(p_sql text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_line text;
  v_plan text := '';
BEGIN
  FOR v_line IN EXECUTE 'EXPLAIN ' || p_sql LOOP
    v_plan := v_plan || v_line || E'\n';
  END LOOP;
  RETURN v_plan;
END;
$$;

-- 2,000 completed steps in the default queue.
SELECT tributary.create_workflow('done', jsonb_agg(jsonb_build_object('name', 'd' || i, 'kind', 'noop', 'queue', 'default')))
FROM generate_series(1, 2000) AS i;
SELECT count(*) FROM tributary.complete_steps(
  (SELECT array_agg(c.step_id ORDER BY c.step_id) FROM tributary.claim_step('default', 'bulk', 2000) AS c),
  array_fill(1, ARRAY[2000]));
-- 2,000 pending steps in the default queue, waiting on a root in another queue.
SELECT tributary.create_workflow('waiting',
  jsonb_build_array(jsonb_build_object('name', 'gate', 'kind', 'noop', 'queue', 'plan-gate'))
  || jsonb_agg(jsonb_build_object('name', 'p' || i, 'kind', 'noop', 'queue', 'default', 'depends_on', jsonb_build_array('gate'))))
FROM generate_series(1, 2000) AS i;
-- A few available ones.
SELECT tributary.create_workflow('ready', '[{"name": "r1", "kind": "noop"}, {"name": "r2", "kind": "noop"}, {"name": "r3", "kind": "noop"}]');

SELECT results_eq(
  $$SELECT state, count(*) FROM tributary.steps WHERE queue = 'default' GROUP BY state ORDER BY state$$,
  $$VALUES ('available', 3::bigint), ('completed', 2000::bigint), ('pending', 2000::bigint)$$,
  'setup: 2,000 completed, 2,000 pending and 3 available steps in the default queue');

SELECT pg_temp.explain_text($$SELECT id FROM tributary.steps WHERE state = 'available' AND queue = 'default' AND scheduled_at <= now() ORDER BY priority DESC, scheduled_at, id LIMIT 1 FOR UPDATE SKIP LOCKED$$) AS literal_plan \gset
SELECT ok(:'literal_plan' LIKE '%steps_ready_idx%', 'the claim query uses steps_ready_idx');
SELECT ok(:'literal_plan' NOT LIKE '%Seq Scan%', 'the claim query does not scan the steps table sequentially');

-- The same query with parameters, as claim_step runs it; force the generic plan PL/pgSQL caches.
PREPARE claim_shape(text, timestamptz, integer) AS
  SELECT id FROM tributary.steps
  WHERE state = 'available' AND queue = $1 AND scheduled_at <= $2
  ORDER BY priority DESC, scheduled_at, id LIMIT $3 FOR UPDATE SKIP LOCKED;
SET LOCAL plan_cache_mode = force_generic_plan;
SELECT pg_temp.explain_text($$EXECUTE claim_shape('default', now(), 1)$$) AS generic_plan \gset
SELECT ok(:'generic_plan' LIKE '%steps_ready_idx%', 'the generic plan of the parameterized claim query uses steps_ready_idx');
SELECT ok(:'generic_plan' NOT LIKE '%Seq Scan%', 'the generic plan does not scan the steps table sequentially');
RESET plan_cache_mode;
DEALLOCATE claim_shape;

SELECT results_eq(
  $$SELECT task_name FROM tributary.claim_step('default', 'w', 10)$$,
  $$VALUES ('r1'), ('r2'), ('r3')$$,
  'claim_step returns exactly the available steps among the 4,003 of the queue');

SELECT * FROM finish();
ROLLBACK;
