-- The remaining transitions and rules of waits: W1 again after a retry (a new timer), W7 cancel of
-- waiting steps (event and sleep), kept events expire and are deleted by wake_due_steps, an
-- event kept for a workflow is never delivered after it finished, a wait with a key ignores
-- events sent to its workflow, wake_due_steps' limit; TB302 and TB012.
BEGIN;
SELECT plan(16);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');

-- W4 then W1 again through retry_workflow.
SELECT tributary.create_workflow('rt', '[{"name": "w", "wait_for": {"event": "e", "timeout": "1 hour"}}]') AS rt \gset
SELECT tributary_test.advance('2 hours');
SELECT is(tributary.wake_due_steps(), 1, 'the timeout wakes the wait');
SELECT is(tributary_test.step_state(:rt, 'w'), 'discarded', 'discarded (on_timeout fail)');
SELECT is((SELECT errors -> 0 ->> 'message' FROM tributary.steps WHERE id = tributary_test.step_id(:rt, 'w')),
  'timed out after 01:00:00 waiting for event "e"', 'its error says why');
SELECT is(tributary.retry_workflow(:rt), 1, 'retry_workflow reopens it');
SELECT is(tributary_test.step_state(:rt, 'w'), 'waiting', 'it waits again');
SELECT is((SELECT wake_at FROM tributary.steps WHERE id = tributary_test.step_id(:rt, 'w')),
  '2030-01-01 03:00:00+00'::timestamptz, 'with a new timer from the retry');

-- W7: cancel_workflow cancels waiting steps and clears their timers.
SELECT tributary.create_workflow('cw', '[{"name": "w", "wait_for": {"event": "e"}}, {"name": "s", "sleep": "1 day"}]') AS cw \gset
SELECT tributary.cancel_workflow(:cw);
SELECT results_eq(format('SELECT task_name, state, wake_at FROM tributary.steps WHERE workflow_id = %s ORDER BY id', :cw),
  $$VALUES ('w', 'cancelled', NULL::timestamptz), ('s', 'cancelled', NULL::timestamptz)$$,
  'waiting steps are cancelled, timers cleared');

-- A wait with a key ignores events sent to its workflow, and the reverse.
SELECT tributary.create_workflow('kw', '[{"name": "w", "wait_for": {"event": "e", "key": "k1"}}]') AS kw \gset
SELECT is(tributary.send_event('e', '1', p_workflow_id => :kw), NULL, 'an event to the workflow does not end a keyed wait');
SELECT is(tributary_test.step_state(:kw, 'w'), 'waiting', 'still waiting');

-- Kept keyed events expire.
SELECT is(tributary.send_event('late', '1', p_key => 'k2', p_ttl => '1 minute'), NULL, 'kept for one minute');
SELECT tributary_test.advance('2 minutes');
SELECT tributary.create_workflow('exp', '[{"name": "w", "wait_for": {"event": "late", "key": "k2"}}]') AS exp \gset
SET CONSTRAINTS ALL IMMEDIATE;
SELECT is(tributary_test.step_state(:exp, 'w'), 'waiting', 'an expired event is not delivered');
SELECT tributary.wake_due_steps();
SELECT is((SELECT count(*)::integer FROM tributary.events WHERE key = 'k2'), 0, 'wake_due_steps deletes it');

-- wake_due_steps' limit.
SELECT tributary.create_workflow('many', '[{"name": "a", "sleep": 0}, {"name": "b", "sleep": 0}, {"name": "c", "sleep": 0}]') AS many \gset
SELECT is(tributary.wake_due_steps(2), 2, 'at most p_limit steps per call');
SELECT is(tributary.wake_due_steps(2), 1, 'the rest at the next');

SELECT throws_ok($$SELECT tributary.wake_due_steps(0)$$, 'TB012', 'p_limit must be at least 1', 'TB012 for p_limit < 1');
SELECT throws_ok($$SELECT tributary.send_event('e', NULL, p_workflow_id => 1, p_ttl => '1 day')$$, 'TB302',
  'event "e": p_ttl is for keyed events and must be positive', 'TB302 for a ttl with a workflow address');

SELECT * FROM finish();
ROLLBACK;
