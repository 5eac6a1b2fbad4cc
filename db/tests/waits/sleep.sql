-- Sleep steps: a task with "sleep" or "sleep_until" enters waiting when ready (never available,
-- never claimed), with wake_at set; wake_due_steps completes it (result NULL) once due, unlocks
-- its dependents; invalid sleeps raise TB303 naming the task and leave nothing behind.
BEGIN;
SELECT plan(17);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('naps', $$[
  {"name": "a", "kind": "k", "queue": "naps"},
  {"name": "nap", "sleep": "1 hour", "depends_on": ["a"]},
  {"name": "until", "sleep_until": "2030-01-01T00:30:00Z"},
  {"name": "z", "kind": "k", "queue": "naps", "depends_on": ["nap", "until"]}
]$$) AS wf \gset

SELECT is(tributary_test.step_state(:wf, 'until'), 'waiting', 'a sleep_until step without dependencies is waiting at once');
SELECT is((SELECT wake_at FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'until')),
  '2030-01-01 00:30:00+00'::timestamptz, 'its wake_at is the sleep_until time');
SELECT is((SELECT kind FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'nap')), 'sleep',
  'a sleep task''s kind defaults to "sleep"');
SELECT is(tributary_test.step_state(:wf, 'nap'), 'pending', 'a sleep step with a dependency is pending');

SELECT tributary_test.advance('10 minutes');
SELECT tributary_test.run(:wf, 'a', '1');
SELECT is(tributary_test.step_state(:wf, 'nap'), 'waiting', 'unlocked, the sleep step enters waiting, not available');
SELECT is((SELECT wake_at FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'nap')),
  '2030-01-01 01:10:00+00'::timestamptz, 'its timer runs from when it became ready');
SELECT is((SELECT count(*)::integer FROM tributary.claim_step('default', 'w', 10)), 0, 'no worker claims a sleeping step');

SELECT is(tributary.wake_due_steps(), 0, 'nothing is due before its time');
SELECT tributary_test.advance('20 minutes');
SELECT is(tributary.wake_due_steps(), 1, 'at 00:30 the sleep_until step is due');
SELECT is(tributary_test.step_state(:wf, 'until'), 'completed', 'and completes');
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'until')), NULL, 'with a NULL result');
SELECT is(tributary_test.step_state(:wf, 'z'), 'pending', 'z still waits for nap');
SELECT tributary_test.advance('40 minutes');
SELECT is(tributary.wake_due_steps(), 1, 'at 01:10 the sleep is due');
SELECT is(tributary_test.step_state(:wf, 'z'), 'available', 'its dependent becomes available');

SELECT throws_ok($$SELECT tributary.create_workflow('bad', '[{"name": "s", "sleep": "-5 minutes"}]')$$,
  'TB303', 'task "s" in workflow "bad": "sleep" "-5 minutes" is negative', 'a negative sleep: TB303 naming the task');
SELECT throws_ok($$SELECT tributary.create_workflow('bad', '[{"name": "s", "sleep_until": "someday"}]')$$,
  'TB303', 'task "s" in workflow "bad": "sleep_until" "someday" is not a timestamp', 'an unparsable sleep_until: TB303');
SELECT is((SELECT count(*)::integer FROM tributary.workflows WHERE name = 'bad'), 0, 'refused workflows leave nothing behind');

SELECT * FROM finish();
ROLLBACK;
