-- Branches: run_if skips a step whose dependency's result does not contain the given value; a
-- step that depends on a skipped step is skipped (at any depth, run_when all_completed); an
-- any_completed join runs when every dependency finished and one completed, with the results of
-- those that completed, and is skipped when none did. Steps ending completed or skipped make a
-- completed workflow. TB321 for bad branch options; retry leaves skipped steps alone.
BEGIN;
SELECT plan(20);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('review', $$[
  {"name": "review", "kind": "k", "queue": "bq"},
  {"name": "approve", "kind": "k", "queue": "bq", "depends_on": ["review"], "run_if": {"review": {"decision": "approve"}}},
  {"name": "reject", "kind": "k", "queue": "bq", "depends_on": ["review"], "run_if": {"review": {"decision": "reject"}}},
  {"name": "notify", "kind": "k", "queue": "bq", "depends_on": ["reject"]},
  {"name": "archive", "kind": "k", "queue": "bq", "depends_on": ["notify"]},
  {"name": "both", "kind": "k", "queue": "bq", "depends_on": ["approve", "notify"]},
  {"name": "join", "kind": "k", "queue": "bq", "depends_on": ["approve", "notify"], "run_when": "any_completed"}
]$$) AS wf \gset

SELECT tributary_test.run(:wf, 'review', '{"decision": "approve", "score": 9}');
SELECT results_eq(
  format($$SELECT task_name, state, finalized_at IS NOT NULL FROM tributary.steps WHERE workflow_id = %s ORDER BY id$$, :wf),
  $$VALUES ('review', 'completed', true), ('approve', 'available', false), ('reject', 'skipped', true),
           ('notify', 'skipped', true), ('archive', 'skipped', true), ('both', 'skipped', true),
           ('join', 'pending', false)$$,
  'the branch not taken is skipped, and what depends on it at any depth; an all_completed step with a skipped dependency too');
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'reject')), NULL, 'a skipped step has no result');
SELECT is((SELECT remaining_deps FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'join')), 1,
  'the join counts the skipped dependency as finished');
SELECT tributary_test.run(:wf, 'approve', '{"ok": true}');
SELECT is(tributary_test.step_state(:wf, 'join'), 'available', 'the any_completed join runs');
SELECT tributary_test.claim(:wf, 'join');
SELECT tributary_test.dependency_results_are(:wf, 'join', '{"approve": {"ok": true}}',
  'it receives the results of the dependencies that completed only');
SELECT tributary_test.complete(:wf, 'join');
SELECT is(tributary_test.workflow_state(:wf), 'completed', 'a workflow of completed and skipped steps is completed');
SELECT results_eq(
  format('SELECT steps_unfinished FROM tributary.workflows WHERE id = %s', :wf), $$VALUES (0)$$,
  'every skipped step counted as finished');
SELECT is(tributary.retry_workflow(:wf), 0, 'retry_workflow does not reopen skipped steps');
SELECT results_eq(
  format('SELECT completed, skipped FROM tributary.workflow_progress WHERE id = %s', :wf),
  $$VALUES (3::bigint, 4::bigint)$$, 'workflow_progress counts the skipped steps');

-- No branch taken: the join is skipped too.
SELECT tributary.create_workflow('none', $$[
  {"name": "route", "kind": "k", "queue": "bq2"},
  {"name": "left", "kind": "k", "queue": "bq2", "depends_on": ["route"], "run_if": {"route": {"side": "left"}}},
  {"name": "right", "kind": "k", "queue": "bq2", "depends_on": ["route"], "run_if": {"route": {"side": "right"}}},
  {"name": "join", "kind": "k", "queue": "bq2", "depends_on": ["left", "right"], "run_when": "any_completed"},
  {"name": "after", "kind": "k", "queue": "bq2", "depends_on": ["join"], "run_when": "any_completed"}
]$$) AS wf \gset
SELECT tributary_test.run(:wf, 'route', '{"side": "middle"}');
SELECT results_eq(
  format($$SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY id$$, :wf),
  $$VALUES ('route', 'completed'), ('left', 'skipped'), ('right', 'skipped'), ('join', 'skipped'), ('after', 'skipped')$$,
  'a join none of whose dependencies completed is skipped, and so is what follows');
SELECT is(tributary_test.workflow_state(:wf), 'completed', 'and the workflow completes at once');

-- run_if on a join's own edge: a completed dependency whose result does not match is not taken.
SELECT tributary.create_workflow('picky', $$[
  {"name": "a", "kind": "k", "queue": "bq3"},
  {"name": "b", "kind": "k", "queue": "bq3"},
  {"name": "j", "kind": "k", "queue": "bq3", "depends_on": ["a", "b"], "run_when": "any_completed",
   "run_if": {"a": {"good": true}, "b": {"good": true}}}
]$$) AS wf \gset
SELECT tributary_test.run(:wf, 'a', '{"good": false}');
SELECT is(tributary_test.step_state(:wf, 'j'), 'pending', 'a join waits for every dependency');
SELECT tributary_test.run(:wf, 'b', '{"good": true}');
SELECT is(tributary_test.step_state(:wf, 'j'), 'available', 'one taken dependency is enough');

SELECT tributary.create_workflow('picky2', $$[
  {"name": "a", "kind": "k", "queue": "bq4"},
  {"name": "j", "kind": "k", "queue": "bq4", "depends_on": ["a"], "run_if": {"a": {"good": true}}}
]$$) AS wf \gset
SELECT tributary_test.run(:wf, 'a', 'null');
SELECT is(tributary_test.step_state(:wf, 'j'), 'skipped', 'a null result meets no run_if');

-- TB321 at creation.
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"},
  {"name": "b", "kind": "k", "depends_on": ["a"], "run_if": {"x": 1}}]')$$, 'TB321',
  'task "b" in workflow "w": "run_if" names "x", which is not one of the task''s dependencies (depends_on)',
  'TB321: run_if names a task that is not a dependency');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"},
  {"name": "b", "kind": "k", "depends_on": ["a"], "run_if": [1]}]')$$, 'TB321',
  'task "b" in workflow "w": "run_if" is not an object {"<dependency>": <value its result must contain>}',
  'TB321: run_if must be an object');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"},
  {"name": "b", "kind": "k", "depends_on": ["a"], "run_when": "sometimes"}]')$$, 'TB321',
  'task "b" in workflow "w": "run_when" must be "all_completed" or "any_completed", got "sometimes"',
  'TB321: an unknown run_when');
SELECT is((SELECT count(*)::int FROM tributary.workflows WHERE name = 'w'), 0, 'refused workflows leave nothing behind');

-- A skipped step is final: the engine's functions leave it as it is.
SELECT throws_ok(format('SELECT tributary.retry_step(%s)', tributary_test.step_id(:wf, 'j')), 'TB011',
  NULL, 'retry_step refuses a skipped step');
SELECT is(tributary_test.step_state(:wf, 'j'), 'skipped', 'it stays skipped');

SELECT * FROM finish();
ROLLBACK;
