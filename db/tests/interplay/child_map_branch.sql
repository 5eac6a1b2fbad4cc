-- A child workflow holding a map, a branch and a wait. Completed: the parent step gets the child's
-- leaf results (map elements are not leaves: the map's array stands for them; a skipped leaf is
-- there with null). Cancelled mid-way with its parent: every unfinished step of the child (a
-- running element, the map, the waiting step) is cancelled, the child finalizes once, a late
-- completion of the element is refused (TB008). Cancelled alone mid-way: the parent step's
-- attempt fails and it is available again.
BEGIN;
SELECT plan(14);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
CREATE TEMP TABLE child_tasks AS SELECT $$[
  {"name": "a", "kind": "k", "queue": "icm"},
  {"name": "m", "kind": "k", "queue": "icm", "depends_on": ["a"], "map": {"over": "a"}},
  {"name": "b", "kind": "k", "queue": "icm", "depends_on": ["a"], "run_if": {"a": "never"}}
]$$::jsonb AS tasks;

-- 1. the child completes
SELECT tributary.create_workflow('parent', '[{"name": "p", "kind": "k", "queue": "icp"}]') AS pw \gset
SELECT tributary_test.claim(:pw, 'p') AS pa \gset
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:pw, 'p'), :pa, 'child', (SELECT tasks FROM child_tasks)) AS cw \gset
SELECT tributary_test.run(:cw, 'a', '[1, 2]');
SELECT tributary_test.run(:cw, 'm[0]', '"r0"');
SELECT is(tributary_test.step_state(:pw, 'p'), 'waiting', 'the parent step waits while an element runs');
SELECT tributary_test.run(:cw, 'm[1]', '"r1"');
SELECT is(tributary_test.workflow_state(:cw), 'completed', 'the child completes');
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:pw, 'p')),
  '{"m": ["r0", "r1"], "b": null}'::jsonb, 'the parent step gets the leaves: the map''s array, and the skipped branch as null');
SELECT is(tributary_test.workflow_state(:pw), 'completed', 'and the parent completes');

-- 2. the parent is cancelled while an element of the child's map runs
SELECT tributary.create_workflow('parent', '[{"name": "p", "kind": "k", "queue": "icp"}]') AS pw2 \gset
SELECT tributary_test.claim(:pw2, 'p') AS pa2 \gset
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:pw2, 'p'), :pa2, 'child',
  (SELECT tasks FROM child_tasks) || '[{"name": "w", "wait_for": {"event": "go"}}]') AS cw2 \gset
SELECT tributary_test.run(:cw2, 'a', '[1, 2]');
SELECT tributary_test.claim(:cw2, 'm[0]') AS ea \gset
SELECT ok(tributary.cancel_workflow(:pw2), 'the parent is cancelled');
SELECT results_eq(format('SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY id', :cw2),
  $$VALUES ('a', 'completed'), ('m', 'cancelled'), ('b', 'skipped'), ('w', 'cancelled'), ('m[0]', 'cancelled'), ('m[1]', 'cancelled')$$,
  'every unfinished step of the child is cancelled, the running element and the waiting step included');
SELECT results_eq(format('SELECT state, steps_unfinished FROM tributary.workflows WHERE id = %s', :cw2),
  $$VALUES ('cancelled'::text, 0)$$, 'the child is cancelled, nothing left unfinished');
SELECT is((SELECT cancel_reason FROM tributary.steps WHERE id = tributary_test.step_id(:cw2, 'm[0]')),
  format('parent workflow %s was cancelled', :pw2), 'with the reason naming the parent');
SELECT is(tributary_test.step_state(:pw2, 'p'), 'cancelled', 'the parent step is cancelled, not failed by its child''s end');
SELECT throws_ok(format($$SELECT tributary.complete_step(%s, %s, '"late"')$$, tributary_test.step_id(:cw2, 'm[0]'), :ea),
  'TB008', NULL, 'the element''s worker learns it: TB008');
SELECT ok(NOT tributary.cancel_workflow(:cw2), 'the child finalized once: cancelling it again changes nothing');

-- 3. the child alone is cancelled while its element runs: the parent step's attempt fails
SELECT tributary.create_workflow('parent', '[{"name": "p", "kind": "k", "queue": "icp", "retry_backoff": 0}]') AS pw3 \gset
SELECT tributary_test.claim(:pw3, 'p') AS pa3 \gset
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:pw3, 'p'), :pa3, 'child', (SELECT tasks FROM child_tasks)) AS cw3 \gset
SELECT tributary_test.run(:cw3, 'a', '[1, 2]');
SELECT tributary_test.claim(:cw3, 'm[1]');
SELECT tributary.cancel_workflow(:cw3);
SELECT is(tributary_test.step_state(:pw3, 'p'), 'available', 'the parent step''s attempt failed: it is available again');
SELECT is((SELECT errors -> -1 ->> 'child_state' FROM tributary.steps WHERE id = tributary_test.step_id(:pw3, 'p')),
  'cancelled', 'its error entry says the child was cancelled');
SELECT is(tributary_test.workflow_state(:pw3), 'running', 'the parent runs on');

SELECT * FROM finish();
ROLLBACK;
