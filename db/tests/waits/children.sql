-- Child workflows: spawn_child_workflow (fenced like complete_step) creates the child, links it
-- both ways and puts the step into waiting; the child's completion completes the step with its
-- leaf results; its failure fails the step's attempt (retry, then discard); cancelling the
-- parent cancels children and grandchildren; an invalid child raises and leaves the step running.
BEGIN;
SELECT plan(19);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('parent', $$[
  {"name": "p", "kind": "k", "queue": "cp"}, {"name": "after", "kind": "k", "queue": "cp", "depends_on": ["p"]}
]$$) AS pw \gset
SELECT tributary_test.claim(:pw, 'p') AS pa \gset
SELECT tributary_test.step_id(:pw, 'p') AS ps \gset

SELECT throws_ok(format($$SELECT tributary.spawn_child_workflow(%s, %s, 'child', '[]')$$, :ps, :pa),
  'TB004', NULL, 'an invalid child raises create_workflow''s SQLSTATE');
SELECT is(tributary_test.step_state(:pw, 'p'), 'running', 'and the step stays running, untouched');

SELECT tributary.spawn_child_workflow(:ps, :pa, 'child', $$[
  {"name": "x", "kind": "k", "queue": "cc"}, {"name": "y", "kind": "k", "queue": "cc", "depends_on": ["x"]},
  {"name": "z", "kind": "k", "queue": "cc"}
]$$, '{"from": "parent"}') AS cw \gset
SELECT is(tributary_test.step_state(:pw, 'p'), 'waiting', 'the spawning step waits');
SELECT is((SELECT lease_expires_at FROM tributary.steps WHERE id = :ps), NULL, 'holding no lease');
SELECT is(tributary.heartbeat(:ps, :pa), false, 'its heartbeat answers false: the worker is free');
SELECT throws_ok(format($$SELECT tributary.complete_step(%s, %s, '1')$$, :ps, :pa), 'TB007', NULL,
  'the attempt can no longer complete it');
SELECT is(tributary.get_workflow(:cw) -> 'parent_step_id', to_jsonb(:ps), 'get_workflow shows the parent step on the child');
SELECT is(tributary.get_workflow(:cw) -> 'parent_workflow_id', to_jsonb(:pw), 'and the parent workflow');
SELECT is(tributary.get_workflow(:pw) -> 'children',
  jsonb_build_array(jsonb_build_object('id', :cw, 'name', 'child', 'state', 'running', 'parent_step_id', :ps)),
  'get_workflow shows the children on the parent');

SELECT tributary_test.run(:cw, 'x', '{"x": 1}');
SELECT tributary_test.run(:cw, 'z', '{"z": 3}');
SELECT is(tributary_test.step_state(:pw, 'p'), 'waiting', 'still waiting while the child runs');
SELECT tributary_test.run(:cw, 'y', '{"y": 2}');
SELECT is(tributary_test.step_state(:pw, 'p'), 'completed', 'the child completed: the step completes');
SELECT is((SELECT result FROM tributary.steps WHERE id = :ps), '{"y": {"y": 2}, "z": {"z": 3}}'::jsonb,
  'with the results of the child''s leaf steps keyed by task name');
SELECT is(tributary_test.step_state(:pw, 'after'), 'available', 'its dependent is unlocked');

-- A failing child fails the attempt: retried while attempts remain, then discarded.
SELECT tributary.create_workflow('parent2', '[{"name": "p", "kind": "k", "queue": "cp2", "max_attempts": 2}]') AS pw2 \gset
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:pw2, 'p'), tributary_test.claim(:pw2, 'p'), 'c1',
  '[{"name": "x", "kind": "k", "queue": "cc2"}]') AS c1 \gset
SELECT tributary.fail_step(tributary_test.step_id(:c1, 'x'), tributary_test.claim(:c1, 'x'), '"boom"', false);
SELECT is(tributary_test.step_state(:pw2, 'p'), 'available', 'a failed child: the step is retried (attempts left)');
SELECT is((SELECT errors -> 0 ->> 'child_workflow_id' FROM tributary.steps WHERE id = tributary_test.step_id(:pw2, 'p')),
  :c1::text, 'its error names the child');
SELECT tributary_test.advance('1 hour');
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:pw2, 'p'), tributary_test.claim(:pw2, 'p'), 'c2',
  '[{"name": "x", "kind": "k", "queue": "cc2"}]') AS c2 \gset
SELECT tributary.cancel_workflow(:c2);
SELECT is(tributary_test.step_state(:pw2, 'p'), 'discarded', 'a cancelled child on the last attempt: discarded');
SELECT is(tributary_test.workflow_state(:pw2), 'failed', 'the parent workflow fails');

-- Cancelling the parent cancels children and grandchildren.
SELECT tributary.create_workflow('parent3', '[{"name": "p", "kind": "k", "queue": "cp3"}]') AS pw3 \gset
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:pw3, 'p'), tributary_test.claim(:pw3, 'p'), 'c',
  '[{"name": "x", "kind": "k", "queue": "cc3"}]') AS c3 \gset
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:c3, 'x'), tributary_test.claim(:c3, 'x'), 'g',
  '[{"name": "x", "kind": "k", "queue": "cc3"}]') AS g3 \gset
SELECT tributary.cancel_workflow(:pw3);
SELECT results_eq(format('SELECT state FROM tributary.workflows WHERE id IN (%s, %s, %s) ORDER BY id', :pw3, :c3, :g3),
  $$VALUES ('cancelled'), ('cancelled'), ('cancelled')$$, 'parent, child and grandchild are cancelled');
SELECT is((SELECT cancel_reason FROM tributary.steps WHERE workflow_id = :g3),
  format('parent workflow %s was cancelled', :c3), 'the reason names the parent workflow');

SELECT * FROM finish();
ROLLBACK;
