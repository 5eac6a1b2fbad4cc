-- A worker role (no table privileges) completes the dependency of a map step and the map's
-- elements: the expansion, the collection and a skipped branch run as the engine's owner inside
-- complete_step/complete_steps. A submitter creates the map workflow through create_workflow.
BEGIN;
SELECT plan(6);

SELECT role_name AS worker FROM tributary.roles WHERE purpose = 'worker' \gset
SELECT role_name AS submitter FROM tributary.roles WHERE purpose = 'submitter' \gset
SELECT tributary_test.set_now('2030-01-01 00:00:00+00');

SET LOCAL ROLE :submitter;
SELECT tributary.create_workflow('roles', $$[
  {"name": "a", "kind": "k", "queue": "role-maps"},
  {"name": "m", "kind": "k", "queue": "role-maps", "depends_on": ["a"], "map": {"over": "a"}},
  {"name": "b", "kind": "k", "queue": "role-maps", "depends_on": ["m"], "run_if": {"m": [5]}}
]$$) AS wf \gset
RESET ROLE;

SET LOCAL ROLE :worker;
SELECT lives_ok($$SELECT tributary.complete_step(c.step_id, c.attempt, '[1, 2]') FROM tributary.claim_step('role-maps', 'w') AS c$$,
  'a worker completes the dependency: the map expands');
SELECT is((SELECT count(*)::int FROM tributary.claim_step('role-maps', 'w', 5)), 2, 'the worker claims the two elements');
RESET ROLE;
SELECT tributary_test.step_id(:wf, 'm[0]') AS e0 \gset
SELECT tributary_test.step_id(:wf, 'm[1]') AS e1 \gset
SET LOCAL ROLE :worker;
SELECT is(
  (SELECT array_agg(outcome ORDER BY step_id) FROM tributary.complete_steps(ARRAY[:e0, :e1]::bigint[], ARRAY[1, 1], ARRAY['1', '2']::jsonb[])),
  ARRAY['completed', 'completed'], 'and completes them');
RESET ROLE;
SELECT results_eq(
  format('SELECT task_name, state, result FROM tributary.steps WHERE workflow_id = %s ORDER BY id', :wf),
  $$VALUES ('a', 'completed', '[1, 2]'::jsonb), ('m', 'completed', '[1, 2]'::jsonb), ('b', 'skipped', NULL::jsonb),
           ('m[0]', 'completed', '1'::jsonb), ('m[1]', 'completed', '2'::jsonb)$$,
  'the map collected its results and the branch not taken is skipped');

-- The direct-INSERT path does not offer the map and branch options.
SELECT throws_ok(format($$SET LOCAL ROLE %I;
  WITH w AS (INSERT INTO tributary.workflows (name) VALUES ('direct map') RETURNING id)
  INSERT INTO tributary.steps (workflow_id, task_name, kind, map_over) SELECT w.id, 'm', 'k', 'a' FROM w$$, :'submitter'),
  '42501', NULL, 'a submitter cannot set map_over in a direct INSERT');
SELECT throws_ok(format($$SET LOCAL ROLE %I;
  WITH w AS (INSERT INTO tributary.workflows (name) VALUES ('direct branch') RETURNING id)
  INSERT INTO tributary.steps (workflow_id, task_name, kind, run_when) SELECT w.id, 'j', 'k', 'any_completed' FROM w$$, :'submitter'),
  '42501', NULL, 'nor run_when (nor run_if)');

SELECT * FROM finish();
ROLLBACK;
