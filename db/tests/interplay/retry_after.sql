-- retry_workflow meets the new features: after a discarded map element (the element runs again,
-- the map collects, its dependent runs); after a wait that timed out (it waits again and takes an
-- event sent to the workflow after the timeout, at COMMIT); after a child that failed on the
-- parent step's last attempt (the step runs again, spawns a new child, completes with its leaves).
BEGIN;
SELECT plan(12);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');

-- 1. a discarded map element
SELECT tributary.create_workflow('map', $$[
  {"name": "a", "kind": "k", "queue": "ira"},
  {"name": "m", "kind": "k", "queue": "ira", "depends_on": ["a"], "map": {"over": "a"}, "max_attempts": 1},
  {"name": "z", "kind": "k", "queue": "ira", "depends_on": ["m"]}
]$$) AS wf \gset
SELECT tributary_test.run(:wf, 'a', '[1, 2]');
SELECT tributary_test.run(:wf, 'm[1]', '"r1"');
SELECT tributary.fail_step(tributary_test.step_id(:wf, 'm[0]'), tributary_test.claim(:wf, 'm[0]'), '{"message": "x"}', false);
SELECT is(tributary_test.workflow_state(:wf), 'failed', 'a discarded element fails the workflow');
SELECT is(tributary.retry_workflow(:wf), 3, 'retry_workflow reopens the element, the map and its dependent');
SELECT tributary_test.run(:wf, 'm[0]', '"r0"');
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'm')), '["r0", "r1"]'::jsonb,
  'the map collects the kept and the new result in element order');
SELECT tributary_test.run(:wf, 'z');
SELECT is(tributary_test.workflow_state(:wf), 'completed', 'the workflow completes');

-- 2. a wait that timed out, and an event sent after the timeout
SELECT tributary.create_workflow('wait', $$[
  {"name": "w", "wait_for": {"event": "ok", "timeout": "1 hour"}},
  {"name": "other", "kind": "k", "queue": "irw"},
  {"name": "z", "kind": "k", "queue": "irw", "depends_on": ["w"]}
]$$) AS ww \gset
SELECT tributary_test.advance('2 hours');
SELECT tributary.wake_due_steps();
SELECT is(tributary_test.step_state(:ww, 'w'), 'discarded', 'the wait timed out and was discarded');
SELECT is(tributary.send_event('ok', '{"late": true}', p_workflow_id => :ww), NULL,
  'an event sent while the workflow still runs (another step) is kept');
SELECT tributary_test.run(:ww, 'other');
SELECT is(tributary.retry_workflow(:ww), 2, 'retry_workflow reopens the wait and its dependent');
SET CONSTRAINTS ALL IMMEDIATE;  -- what COMMIT does
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:ww, 'w')), '{"late": true}'::jsonb,
  'the wait began again and took the kept event');
SELECT is(tributary_test.step_state(:ww, 'z'), 'available', 'its dependent is unlocked');

-- 3. a child that failed on the parent step's last attempt
SELECT tributary.create_workflow('parent', '[{"name": "p", "kind": "k", "queue": "irp", "max_attempts": 1}]') AS pw \gset
SELECT tributary_test.claim(:pw, 'p') AS a1 \gset
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:pw, 'p'), :a1, 'child', '[{"name": "x", "kind": "k", "queue": "irc", "max_attempts": 1}]') AS c1 \gset
SELECT tributary.fail_step(tributary_test.step_id(:c1, 'x'), tributary_test.claim(:c1, 'x'), '{"message": "x"}', false);
SELECT is(tributary_test.workflow_state(:pw), 'failed', 'the failed child discarded the parent step on its last attempt');
SELECT is(tributary.retry_workflow(:pw), 1, 'retry_workflow reopens the parent step');
SELECT tributary_test.claim(:pw, 'p') AS a2 \gset
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:pw, 'p'), :a2, 'child', '[{"name": "x", "kind": "k", "queue": "irc2"}]') AS c2 \gset
SELECT tributary_test.run(:c2, 'x', '"ok"');
SELECT results_eq(format('SELECT state, result FROM tributary.steps WHERE id = %s', tributary_test.step_id(:pw, 'p')),
  $$VALUES ('completed'::text, '{"x": "ok"}'::jsonb)$$, 'its new child completed it');

SELECT * FROM finish();
ROLLBACK;
