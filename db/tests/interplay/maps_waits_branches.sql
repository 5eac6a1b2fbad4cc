-- Maps and branches meet waits: a map over a wait step's event payload expands when the event
-- arrives; a map behind a sleep expands when wake_due_steps ends the sleep; a run_if on an event
-- payload skips its branch; an any_completed join over a skipped branch and a sleep runs when the
-- sleep ends. A map task cannot itself wait or sleep (its elements are claimed by workers, which
-- have nothing to run for a wait): TB320 naming the task, nothing written.
BEGIN;
SELECT plan(16);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');

-- a map over an event's payload
SELECT tributary.create_workflow('map_over_event', $$[
  {"name": "w", "wait_for": {"event": "list"}},
  {"name": "m", "kind": "k", "queue": "iq", "depends_on": ["w"], "map": {"over": "w", "path": "items"}},
  {"name": "z", "kind": "k", "queue": "iq", "depends_on": ["m"]}
]$$) AS wf \gset
SELECT ok(tributary.send_event('list', '{"items": [1, 2]}', p_workflow_id => :wf) IS NOT NULL, 'the event ends the wait');
SELECT is((SELECT map_size FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'm')), 2,
  'the map over its payload expands in send_event''s transaction');
SELECT is(tributary_test.step_state(:wf, 'm[1]'), 'available', 'its elements are available');
SELECT tributary_test.run(:wf, 'm[0]', '"a"');
SELECT tributary_test.run(:wf, 'm[1]', '"b"');
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'm')), '["a", "b"]'::jsonb,
  'the map collects its elements'' results');
SELECT is(tributary_test.step_state(:wf, 'z'), 'available', 'and its dependent is unlocked');

-- a map behind a sleep
SELECT tributary.create_workflow('map_after_sleep', $$[
  {"name": "a", "kind": "k", "queue": "iq2"}, {"name": "s", "sleep": "1 minute"},
  {"name": "m", "kind": "k", "queue": "iq2", "depends_on": ["a", "s"], "map": {"over": "a"}}
]$$) AS wf2 \gset
SELECT tributary_test.run(:wf2, 'a', '[10, 20, 30]');
SELECT is((SELECT map_size FROM tributary.steps WHERE id = tributary_test.step_id(:wf2, 'm')), NULL::integer,
  'the map waits for the sleep');
SELECT tributary_test.advance('2 minutes');
SELECT tributary.wake_due_steps();
SELECT is(tributary_test.step_state(:wf2, 's'), 'completed', 'the sleep is due and ends');
SELECT is((SELECT map_size FROM tributary.steps WHERE id = tributary_test.step_id(:wf2, 'm')), 3,
  'and the map expands in wake_due_steps'' transaction');

-- run_if on an event payload
SELECT tributary.create_workflow('branch_on_event', $$[
  {"name": "w", "wait_for": {"event": "review"}},
  {"name": "ship", "kind": "k", "queue": "iq3", "depends_on": ["w"], "run_if": {"w": {"ok": true}}},
  {"name": "notify", "kind": "k", "queue": "iq3", "depends_on": ["ship"]}
]$$) AS wf3 \gset
SELECT tributary.send_event('review', '{"ok": false}', p_workflow_id => :wf3);
SELECT is(tributary_test.step_state(:wf3, 'ship'), 'skipped', 'a payload that fails run_if skips the branch');
SELECT is(tributary_test.step_state(:wf3, 'notify'), 'skipped', 'and what depends on it');
SELECT is(tributary_test.workflow_state(:wf3), 'completed', 'the workflow completes');

-- an any_completed join over a skipped branch and a sleep
SELECT tributary.create_workflow('join', $$[
  {"name": "a", "kind": "k", "queue": "iq4"},
  {"name": "b", "kind": "k", "queue": "iq4", "depends_on": ["a"], "run_if": {"a": "yes"}},
  {"name": "s", "sleep": "1 minute"},
  {"name": "j", "kind": "k", "queue": "iq4", "depends_on": ["b", "s"], "run_when": "any_completed"}
]$$) AS wf4 \gset
SELECT tributary_test.run(:wf4, 'a', '"no"');
SELECT is(tributary_test.step_state(:wf4, 'j'), 'pending', 'the join waits for the sleep after its branch was skipped');
SELECT tributary_test.advance('2 minutes');
SELECT tributary.wake_due_steps();
SELECT is(tributary_test.step_state(:wf4, 'j'), 'available', 'the sleep ended (completed, result NULL): the join runs');

-- a map task cannot wait or sleep
SELECT throws_ok($$SELECT tributary.create_workflow('bad', '[{"name": "a", "kind": "k"},
  {"name": "m", "sleep": "1 hour", "depends_on": ["a"], "map": {"over": "a"}}]')$$,
  'TB320', 'task "m" in workflow "bad": a map task cannot wait or sleep ("wait_for", "sleep", "sleep_until"): workers run its elements',
  'a map task with "sleep": TB320 naming the task');
SELECT throws_ok($$SELECT tributary.create_workflow('bad', '[{"name": "a", "kind": "k"},
  {"name": "m", "wait_for": {"event": "go"}, "depends_on": ["a"], "map": {"over": "a"}}]')$$,
  'TB320', NULL, 'a map task with "wait_for": TB320');
SELECT is((SELECT count(*)::integer FROM tributary.workflows WHERE name = 'bad'), 0, 'refused workflows leave nothing behind');

SELECT * FROM finish();
ROLLBACK;
