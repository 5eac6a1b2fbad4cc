-- Map steps: a map expands when its dependency completes (one element step per array element,
-- args with "element"), collects its elements' results in element order when the last one
-- completes, completes at once with [] over an empty array, and a map can map over a map.
BEGIN;
SELECT plan(18);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('map', $$[
  {"name": "extract", "kind": "noop", "queue": "mq"},
  {"name": "each", "kind": "double", "queue": "mq", "args": {"factor": 2}, "depends_on": ["extract"],
   "map": {"over": "extract", "path": "page.items"}, "max_attempts": 3},
  {"name": "again", "kind": "inc", "queue": "mq", "depends_on": ["each"], "map": {"over": "each"}},
  {"name": "total", "kind": "noop", "queue": "mq", "depends_on": ["again"]}
]$$) AS wf \gset
SELECT tributary_test.step_id(:wf, 'each') AS each \gset

SELECT is(tributary_test.step_state(:wf, 'each'), 'pending', 'a map step waits for its dependency');
SELECT tributary_test.run(:wf, 'extract', '{"page": {"items": [3, 1, 2]}}');

SELECT results_eq(
  format($$SELECT task_name, state, map_step_id, map_index, args FROM tributary.steps
           WHERE workflow_id = %s AND map_step_id IS NOT NULL ORDER BY map_index$$, :wf),
  format($$VALUES ('each[0]', 'available', %1$s::bigint, 0, '{"factor": 2, "element": 3}'::jsonb),
                  ('each[1]', 'available', %1$s::bigint, 1, '{"factor": 2, "element": 1}'::jsonb),
                  ('each[2]', 'available', %1$s::bigint, 2, '{"factor": 2, "element": 2}'::jsonb)$$, :each),
  'the map expanded into one available element per array element, with the map''s args and its element');
SELECT results_eq(
  format('SELECT state, remaining_deps, map_size, max_attempts FROM tributary.steps WHERE id = %s', :each),
  $$VALUES ('pending', 3, 3, 3)$$,
  'the map step waits for its three elements');
SELECT results_eq(
  format('SELECT max_attempts, queue FROM tributary.steps WHERE map_step_id = %s ORDER BY map_index LIMIT 1', :each),
  $$VALUES (3, 'mq')$$, 'elements take the map''s options');
SELECT results_eq(
  format('SELECT steps_total, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES (7, 6)$$, 'the workflow counts the elements');
SELECT is((SELECT count(*)::int FROM tributary.step_dependencies WHERE step_id = :each), 4,
  'the map step has an edge from each element (and from its dependency)');

-- Out of order; each element is its own step with its own attempts.
SELECT tributary_test.run(:wf, 'each[2]', '4');
SELECT tributary.fail_step(tributary_test.step_id(:wf, 'each[0]'), tributary_test.claim(:wf, 'each[0]'), '{"message": "flaky"}');
SELECT is(tributary_test.step_state(:wf, 'each[0]'), 'available', 'a failed element is retried on its own');
SELECT tributary_test.advance('1 hour');
SELECT tributary_test.run(:wf, 'each[0]', '6');
SELECT is(tributary_test.step_state(:wf, 'each'), 'pending', 'the map waits while an element is unfinished');
SELECT tributary_test.run(:wf, 'each[1]', '2');
SELECT results_eq(
  format('SELECT state, result FROM tributary.steps WHERE id = %s', :each),
  $$VALUES ('completed', '[6, 2, 4]'::jsonb)$$,
  'the last element completes the map with the results in element order');

-- A map over a map: "again" maps over each's array.
SELECT results_eq(
  format($$SELECT task_name, args->'element' FROM tributary.steps WHERE workflow_id = %s AND task_name LIKE 'again[%%' ORDER BY map_index$$, :wf),
  $$VALUES ('again[0]', '6'::jsonb), ('again[1]', '2'::jsonb), ('again[2]', '4'::jsonb)$$,
  'a map over a map expands over its results');
SELECT tributary_test.run(:wf, 'again[0]', '7');
SELECT tributary_test.run(:wf, 'again[1]', '3');
SELECT tributary_test.run(:wf, 'again[2]', '5');
SELECT tributary_test.claim(:wf, 'total');
SELECT tributary_test.dependency_results_are(:wf, 'total', '{"again": [7, 3, 5]}',
  'a dependent of a map receives one array of results in element order');
SELECT tributary_test.complete(:wf, 'total', '15');
SELECT is(tributary_test.workflow_state(:wf), 'completed', 'the workflow completes');
SELECT results_eq(
  format('SELECT steps_total, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES (10, 0)$$, 'ten steps: four tasks and six elements');

-- An empty array completes the map at once with [].
SELECT tributary.create_workflow('empty', $$[
  {"name": "extract", "kind": "noop", "queue": "mq2"},
  {"name": "each", "kind": "noop", "queue": "mq2", "depends_on": ["extract"], "map": {"over": "extract"}},
  {"name": "after", "kind": "noop", "queue": "mq2", "depends_on": ["each"]}
]$$) AS wf2 \gset
SELECT tributary_test.run(:wf2, 'extract', '[]');
SELECT results_eq(
  format('SELECT state, result, map_size FROM tributary.steps WHERE id = %s', tributary_test.step_id(:wf2, 'each')),
  $$VALUES ('completed', '[]'::jsonb, 0)$$, 'an empty array completes the map with []');
SELECT is(tributary_test.step_state(:wf2, 'after'), 'available', 'and its dependent is available');
SELECT tributary_test.claim(:wf2, 'after');
SELECT tributary_test.dependency_results_are(:wf2, 'after', '{"each": []}', 'it receives []');
SELECT tributary_test.complete(:wf2, 'after');
SELECT is(tributary_test.workflow_state(:wf2), 'completed', 'the workflow completes');

SELECT is((SELECT count(*)::int FROM tributary.steps WHERE workflow_id = :wf2 AND map_step_id IS NOT NULL), 0,
  'an empty map has no elements');

SELECT * FROM finish();
ROLLBACK;
