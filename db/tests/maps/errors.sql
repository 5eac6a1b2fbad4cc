-- Map steps and bad input. At creation: TB320 for a bad "map" option. At expansion, contained to
-- the map step (the dependency's completion commits): TB322 not an array, TB323 nothing at the
-- path, TB324 more elements than settings.max_map_elements. A discarded element follows the
-- discard and cancel rules of any step; retry_workflow re-runs it and the map collects.
BEGIN;
SELECT plan(23);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');

-- TB320 at creation; nothing is left behind.
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"},
  {"name": "m", "kind": "k", "map": {"over": "a"}}]')$$, 'TB320',
  'task "m" in workflow "w": "map"."over" must name one of the task''s dependencies (depends_on), got "a"',
  'TB320: map over a task that is not a dependency');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"},
  {"name": "m", "kind": "k", "depends_on": ["a"], "map": {"over": "a", "path": 3}}]')$$, 'TB320',
  'task "m" in workflow "w": "map"."path" is not a non-empty string of keys separated by dots',
  'TB320: a path that is not a string');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"},
  {"name": "m", "kind": "k", "depends_on": ["a"], "map": {"over": "a", "into": "x"}}]')$$, 'TB320',
  'task "m" in workflow "w": "map" has an unknown key (known: over, path)',
  'TB320: an unknown key in map');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"},
  {"name": "m", "kind": "k", "depends_on": ["a"], "args": [1], "map": {"over": "a"}}]')$$, 'TB320',
  'task "m" in workflow "w": the args of a map task must be a JSON object (each element step gets them with "element" set)',
  'TB320: a map task''s args must be an object');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"},
  {"name": "m", "kind": "k", "depends_on": ["a"], "map": {"over": "a"}}, {"name": "m[0]", "kind": "k"}]')$$, 'TB320',
  'task "m" in workflow "w": another task''s name starts with "m[", the names of this map''s elements',
  'TB320: a task named like an element of the map');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"},
  {"name": "m", "kind": "k", "depends_on": ["a"], "map": {"over": "a"}, "run_when": "any_completed"}]')$$, 'TB320',
  'task "m" in workflow "w": a map task cannot have "run_when": "any_completed" (it needs the result it maps over)',
  'TB320: a map cannot be an any_completed join');
SELECT is((SELECT count(*)::int FROM tributary.workflows WHERE name = 'w'), 0, 'refused workflows leave nothing behind');

-- TB322: not an array. The dependency completes; the map is discarded with the reason.
SELECT tributary.create_workflow('notarray', $$[
  {"name": "a", "kind": "k", "queue": "me"},
  {"name": "m", "kind": "k", "queue": "me", "depends_on": ["a"], "map": {"over": "a", "path": "items"}},
  {"name": "after", "kind": "k", "queue": "me", "depends_on": ["m"]}
]$$) AS wf \gset
SELECT lives_ok(format($$SELECT tributary.complete_step(%s, %s, '{"items": {"x": 1}}')$$,
  tributary_test.step_id(:wf, 'a'), tributary_test.claim(:wf, 'a')),
  'completing the dependency of a bad map succeeds for the worker');
SELECT results_eq(
  format($$SELECT state, errors->-1->>'sqlstate', errors->-1->>'message' FROM tributary.steps WHERE id = %s$$, tributary_test.step_id(:wf, 'm')),
  $$VALUES ('discarded', 'TB322', 'map task "m": the value to map over (task "a", path "items") is a JSON object, not an array')$$,
  'TB322: the map is discarded, the reason in its errors');
SELECT is(tributary_test.step_state(:wf, 'a'), 'completed', 'its dependency stays completed');
SELECT results_eq(
  format($$SELECT state, cancel_reason FROM tributary.steps WHERE id = %s$$, tributary_test.step_id(:wf, 'after')),
  $$VALUES ('cancelled', 'upstream step "m" was discarded')$$, 'downstream of the map is cancelled');
SELECT is(tributary_test.workflow_state(:wf), 'failed', 'the workflow failed');

-- TB323: nothing at the path.
SELECT tributary.create_workflow('nopath', $$[
  {"name": "a", "kind": "k", "queue": "me"},
  {"name": "m", "kind": "k", "queue": "me", "depends_on": ["a"], "map": {"over": "a", "path": "page.items"}}
]$$) AS wf \gset
SELECT tributary_test.run(:wf, 'a', '{"page": {}}');
SELECT results_eq(
  format($$SELECT state, errors->-1->>'sqlstate', errors->-1->>'message' FROM tributary.steps WHERE id = %s$$, tributary_test.step_id(:wf, 'm')),
  $$VALUES ('discarded', 'TB323', 'map task "m": the result of task "a" has nothing at path "page.items"')$$,
  'TB323: a missing path discards the map');

-- TB324: more elements than settings.max_map_elements.
UPDATE tributary.settings SET max_map_elements = 2;
SELECT tributary.create_workflow('toolong', $$[
  {"name": "a", "kind": "k", "queue": "me"},
  {"name": "m", "kind": "k", "queue": "me", "depends_on": ["a"], "map": {"over": "a"}}
]$$) AS wf \gset
SELECT tributary_test.run(:wf, 'a', '[1, 2, 3]');
SELECT results_eq(
  format($$SELECT state, errors->-1->>'sqlstate', errors->-1->>'message' FROM tributary.steps WHERE id = %s$$, tributary_test.step_id(:wf, 'm')),
  $$VALUES ('discarded', 'TB324', 'map task "m": 3 elements to map over, more than settings.max_map_elements (2)')$$,
  'TB324: too many elements discard the map');
SELECT is((SELECT count(*)::int FROM tributary.steps WHERE workflow_id = :wf AND map_step_id IS NOT NULL), 0,
  'and no element was created');
UPDATE tributary.settings SET max_map_elements = 10000;
SELECT throws_ok('UPDATE tributary.settings SET max_map_elements = 1000001', '23514', NULL,
  'settings.max_map_elements is at most 1,000,000 (settings_max_map_elements_bounded)');
SELECT is(tributary.retry_workflow(:wf), 1, 'retry_workflow reopens the discarded map');
SELECT results_eq(
  format($$SELECT state, remaining_deps, map_size FROM tributary.steps WHERE id = %s$$, tributary_test.step_id(:wf, 'm')),
  $$VALUES ('pending', 3, 3)$$, 'which expands again, now within the limit');

-- A discarded element: the map and its downstream are cancelled, the other elements still run.
SELECT tributary.create_workflow('elementfails', $$[
  {"name": "a", "kind": "k", "queue": "me"},
  {"name": "m", "kind": "k", "queue": "me", "depends_on": ["a"], "map": {"over": "a"}, "max_attempts": 1},
  {"name": "after", "kind": "k", "queue": "me", "depends_on": ["m"]}
]$$) AS wf \gset
SELECT tributary_test.run(:wf, 'a', '["x", "y"]');
SELECT tributary_test.claim(:wf, 'm[1]') AS y_attempt \gset
SELECT tributary.fail_step(tributary_test.step_id(:wf, 'm[0]'), tributary_test.claim(:wf, 'm[0]'), '{"message": "bad x"}');
SELECT results_eq(
  format($$SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY id$$, :wf),
  $$VALUES ('a', 'completed'), ('m', 'cancelled'), ('after', 'cancelled'), ('m[0]', 'discarded'), ('m[1]', 'running')$$,
  'a discarded element cancels the map and its downstream; its sibling keeps running');
SELECT is(tributary_test.workflow_state(:wf), 'running', 'the workflow waits for the running element');
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'm[1]'), :y_attempt, '"Y"');
SELECT is(tributary_test.workflow_state(:wf), 'failed', 'then fails');

-- Retry: the element runs again and the map collects.
SELECT is(tributary.retry_workflow(:wf), 3, 'retry_workflow reopens the element, the map and its dependent');
SELECT tributary_test.run(:wf, 'm[0]', '"X"');
SELECT results_eq(
  format($$SELECT state, result FROM tributary.steps WHERE id = %s$$, tributary_test.step_id(:wf, 'm')),
  $$VALUES ('completed', '["X", "Y"]'::jsonb)$$, 'the map collects both results in order');

SELECT * FROM finish();
ROLLBACK;
