-- docs/states.md, the transitions the calls that end a wait make: send_event and wake_due_steps
-- unlock dependents (edge 1), finalize the workflow as completed or failed, and a wait that times
-- out (W4) cancels its downstream steps with the reason `upstream step "<task>" was discarded`.
BEGIN;
SELECT plan(10);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');

SELECT tributary.create_workflow('docs-unlock', '[{"name": "w", "wait_for": {"event": "go"}},
  {"name": "after", "kind": "k", "depends_on": ["w"]}]') AS unlock \gset
SELECT tributary.create_workflow('docs-last', '[{"name": "w", "wait_for": {"event": "go"}}]') AS last \gset
SELECT tributary.create_workflow('docs-timeout', '[{"name": "w", "wait_for": {"event": "go", "timeout": "1 hour"}},
  {"name": "after", "kind": "k", "depends_on": ["w"]}]') AS timeout \gset
SELECT tributary.create_workflow('docs-sleep', '[{"name": "s", "sleep": "30 minutes"}]') AS sleep \gset

SELECT is(tributary_test.step_state(:unlock, 'after'), 'pending', 'the dependent of a wait is pending');
SELECT ok(tributary.send_event('go', NULL, p_workflow_id => :unlock) IS NOT NULL, 'send_event ends the wait');
SELECT is(tributary_test.step_state(:unlock, 'after'), 'available', '(1) send_event made its dependent available');

SELECT ok(tributary.send_event('go', NULL, p_workflow_id => :last) IS NOT NULL, 'send_event ends the last step');
SELECT is((SELECT state FROM tributary.workflows WHERE id = :last), 'completed',
  'running -> completed by send_event, which finished the last unfinished step');

SELECT tributary_test.advance('2 hours');
SELECT is(tributary.wake_due_steps(), 2, 'wake_due_steps ends the timed-out wait and the sleep');
SELECT results_eq(
  format($$SELECT task_name, state, cancel_reason FROM tributary.steps WHERE workflow_id = %s ORDER BY id$$, :timeout),
  $$VALUES ('w'::text, 'discarded'::text, NULL::text), ('after', 'cancelled', 'upstream step "w" was discarded')$$,
  'W4: the wait is discarded, its downstream step cancelled with the documented reason');
SELECT is((SELECT state FROM tributary.workflows WHERE id = :timeout), 'failed',
  'running -> failed by wake_due_steps');
SELECT is((SELECT state FROM tributary.workflows WHERE id = :sleep), 'completed',
  'running -> completed by wake_due_steps (a sleep was the last step)');

-- A map over a wait expands in send_event (states.md, Map steps, 2).
SELECT tributary.create_workflow('docs-map-wait', '[{"name": "w", "wait_for": {"event": "items"}},
  {"name": "m", "kind": "k", "depends_on": ["w"], "map": {"over": "w"}}]') AS mapwait \gset
SELECT tributary.send_event('items', '[10, 20]', p_workflow_id => :mapwait);
SELECT results_eq(format($$SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY id$$, :mapwait),
  $$VALUES ('w'::text, 'completed'::text), ('m', 'pending'), ('m[0]', 'available'), ('m[1]', 'available')$$,
  'send_event completed the wait and expanded the map over its payload');

SELECT * FROM finish();
ROLLBACK;
