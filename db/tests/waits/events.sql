-- Durable waits for events: a wait_for task enters waiting; send_event to its workflow or by
-- key completes the oldest waiting step with the payload; an event sent before the wait began
-- is kept and taken when the wait begins (at COMMIT: SET CONSTRAINTS ALL IMMEDIATE here);
-- timeouts complete with the default or discard; TB300/TB301/TB302/TB303.
BEGIN;
SELECT plan(29);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('approval', $$[
  {"name": "approve", "wait_for": {"event": "approved", "timeout": "1 day", "on_timeout": {"default": {"approved": false}}}},
  {"name": "ship", "kind": "k", "queue": "ev", "depends_on": ["approve"]}
]$$) AS wf \gset

SELECT is(tributary_test.step_state(:wf, 'approve'), 'waiting', 'a wait_for step is waiting');
SELECT is((SELECT kind FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'approve')), 'wait_for',
  'a wait_for task''s kind defaults to "wait_for"');
SELECT is((SELECT wake_at FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'approve')),
  '2030-01-02 00:00:00+00'::timestamptz, 'its timeout sets wake_at');
SELECT is(tributary.send_event('rejected', '{}', p_workflow_id => :wf), NULL, 'an event nobody waits for is kept: NULL');
SELECT is(tributary.send_event('approved', '{"by": "ana"}', p_workflow_id => :wf), tributary_test.step_id(:wf, 'approve'),
  'send_event returns the step it completed');
SELECT is(tributary_test.step_state(:wf, 'approve'), 'completed', 'the wait completed');
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'approve')), '{"by": "ana"}'::jsonb,
  'with the payload as its result');
SELECT is((SELECT wake_at FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'approve')), NULL, 'its timer is gone');
SELECT is(tributary_test.step_state(:wf, 'ship'), 'available', 'its dependent is unlocked');
SELECT is(tributary.send_event('approved', '{"again": 1}', p_workflow_id => :wf), NULL,
  'a second event finds no wait and is kept');

-- Each event ends one wait: the oldest.
SELECT tributary.create_workflow('two', $$[
  {"name": "w1", "wait_for": {"event": "go"}}, {"name": "w2", "wait_for": {"event": "go"}}
]$$) AS two \gset
SELECT tributary.send_event('go', '1', p_workflow_id => :two);
SELECT results_eq(format('SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY id', :two),
  $$VALUES ('w1', 'completed'), ('w2', 'waiting')$$, 'one event completes one wait, the oldest');

-- Sent before the wait began (by key, and to the workflow before the step was ready).
SELECT is(tributary.send_event('paid', '{"amount": 5}', p_key => 'order:42'), NULL, 'a keyed event with no wait is kept');
SELECT is((SELECT expires_at FROM tributary.events WHERE key = 'order:42'), '2030-01-08 00:00:00+00'::timestamptz,
  'for 7 days by default');
SELECT tributary.create_workflow('order', $$[
  {"name": "a", "kind": "k", "queue": "ev2"},
  {"name": "pay", "wait_for": {"event": "paid", "key": "order:42"}},
  {"name": "signed", "wait_for": {"event": "signed"}, "depends_on": ["a"]}
]$$) AS ord \gset
SET CONSTRAINTS ALL IMMEDIATE;  -- what COMMIT does
SELECT is(tributary_test.step_state(:ord, 'pay'), 'completed', 'a keyed wait that begins takes the event sent before it');
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:ord, 'pay')), '{"amount": 5}'::jsonb, 'its payload');
SELECT is((SELECT count(*)::integer FROM tributary.events WHERE key = 'order:42'), 0, 'the event is consumed');
SELECT is(tributary.send_event('signed', '"yes"', p_workflow_id => :ord), NULL, 'an event before its step is ready is kept');
SELECT tributary_test.run(:ord, 'a', '1');
SET CONSTRAINTS ALL IMMEDIATE;
SELECT is(tributary_test.step_state(:ord, 'signed'), 'completed', 'the step takes it when its wait begins');
SELECT is(tributary_test.workflow_state(:ord), 'completed', 'and the workflow completes');

-- Timeouts.
SELECT tributary.create_workflow('late', $$[
  {"name": "fails", "wait_for": {"event": "never", "timeout": "1 hour"}},
  {"name": "after", "kind": "k", "depends_on": ["fails"]},
  {"name": "defaults", "wait_for": {"event": "never", "timeout": 60, "on_timeout": {"default": [1]}}}
]$$) AS late \gset
SELECT tributary_test.advance('2 hours');
SELECT is(tributary.wake_due_steps(), 2, 'both timed-out waits wake');
SELECT is(tributary_test.step_state(:late, 'defaults'), 'completed', 'on_timeout default: completed');
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:late, 'defaults')), '[1]'::jsonb, 'with the default');
SELECT is(tributary_test.step_state(:late, 'fails'), 'discarded', 'on_timeout fail (the default): discarded');
SELECT is(tributary_test.step_state(:late, 'after'), 'cancelled', 'its downstream step is cancelled');
SELECT is(tributary_test.workflow_state(:late), 'failed', 'the workflow fails');

-- Errors.
SELECT throws_ok(format($$SELECT tributary.send_event('x', NULL, p_workflow_id => %s)$$, :late),
  'TB301', format('event "x" for workflow %s: the workflow is failed and waits for nothing', :late), 'a finished workflow: TB301');
SELECT throws_ok($$SELECT tributary.send_event('x', NULL, p_workflow_id => -1)$$,
  'TB300', 'event "x" for workflow -1: the workflow does not exist', 'an unknown workflow: TB300');
SELECT throws_ok($$SELECT tributary.send_event('x', NULL, p_workflow_id => 1, p_key => 'k')$$,
  'TB302', 'event "x" needs exactly one address: p_workflow_id or p_key', 'two addresses: TB302');
SELECT throws_ok($$SELECT tributary.create_workflow('bad', '[{"name": "w", "wait_for": {"event": "e", "timeout": "often"}}]')$$,
  'TB303', 'task "w" in workflow "bad": "wait_for" "timeout" "often" is not an interval (a string such as ''1 hour'' or a number of seconds)',
  'an unparsable timeout: TB303 naming the task');

SELECT * FROM finish();
ROLLBACK;
