-- A map element's handler spawns a child workflow: the element waits (the map stays pending), the
-- child's completion completes the element and, as its last element, collects the map and
-- unlocks its dependent; a child that fails on the element's last attempt discards the element,
-- which cancels the map and what depends on it.
BEGIN;
SELECT plan(7);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('fan', $$[
  {"name": "a", "kind": "k", "queue": "ies"},
  {"name": "m", "kind": "k", "queue": "ies", "depends_on": ["a"], "map": {"over": "a"}, "max_attempts": 1},
  {"name": "z", "kind": "k", "queue": "ies", "depends_on": ["m"]}
]$$) AS wf \gset
SELECT tributary_test.run(:wf, 'a', '[1, 2]');
SELECT tributary_test.run(:wf, 'm[1]', '"r1"');
SELECT tributary_test.claim(:wf, 'm[0]') AS ea \gset
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:wf, 'm[0]'), :ea, 'child', '[{"name": "x", "kind": "k", "queue": "iesc"}]') AS cw \gset
SELECT is(tributary_test.step_state(:wf, 'm[0]'), 'waiting', 'the element waits for its child');
SELECT is(tributary_test.step_state(:wf, 'm'), 'pending', 'the map waits for it');
SELECT tributary_test.run(:cw, 'x', '"cx"');
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'm')), '[{"x": "cx"}, "r1"]'::jsonb,
  'the child completed the element, the last one: the map collects, the child''s leaves in the element''s place');
SELECT is(tributary_test.step_state(:wf, 'z'), 'available', 'and unlocks its dependent');

SELECT tributary.create_workflow('fan', $$[
  {"name": "a", "kind": "k", "queue": "ies2"},
  {"name": "m", "kind": "k", "queue": "ies2", "depends_on": ["a"], "map": {"over": "a"}, "max_attempts": 1},
  {"name": "z", "kind": "k", "queue": "ies2", "depends_on": ["m"]}
]$$) AS wf2 \gset
SELECT tributary_test.run(:wf2, 'a', '[1]');
SELECT tributary_test.claim(:wf2, 'm[0]') AS ea2 \gset
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:wf2, 'm[0]'), :ea2, 'child', '[{"name": "x", "kind": "k", "queue": "iesc2", "max_attempts": 1}]') AS cw2 \gset
SELECT tributary.fail_step(tributary_test.step_id(:cw2, 'x'), tributary_test.claim(:cw2, 'x'), '{"message": "no"}', false);
SELECT is(tributary_test.step_state(:wf2, 'm[0]'), 'discarded', 'the child failed on the element''s last attempt: discarded');
SELECT results_eq(format('SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s AND task_name IN (''m'', ''z'') ORDER BY id', :wf2),
  $$VALUES ('m', 'cancelled'), ('z', 'cancelled')$$, 'the map and its dependent are cancelled');
SELECT is(tributary_test.workflow_state(:wf2), 'failed', 'the workflow fails');

SELECT * FROM finish();
ROLLBACK;
