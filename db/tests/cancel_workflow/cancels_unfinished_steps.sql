-- cancel_workflow(): cancels the pending, available and running steps of a workflow with a
-- reason, keeps completed steps and their results, finalizes the workflow as cancelled; a
-- second call or a finished workflow returns false and changes nothing; TB009 unknown workflow.
-- The worker still running a cancelled step learns it from heartbeat() and complete_step().
BEGIN;
SELECT plan(33);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');

-- Diamond on its own queue: a completed, b running (claimed), c available, d pending.
SELECT tributary_test.diamond('cw') AS wf \gset
SELECT tributary_test.run(:wf, 'a', '{"x": 1}');
SELECT tributary_test.claim(:wf, 'b', 'worker-1') AS b_attempt \gset
SELECT tributary_test.step_id(:wf, 'b') AS b \gset
SELECT tributary_test.advance('1 minute');

SELECT results_eq(
  format('SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf),
  $$VALUES ('a', 'completed'), ('b', 'running'), ('c', 'available'), ('d', 'pending')$$,
  'before the cancel: a completed, b running, c available, d pending');

SELECT is(tributary.cancel_workflow(:wf), true, 'cancel_workflow returns true when it cancelled steps');

SELECT results_eq(
  format($$SELECT task_name, state, cancel_reason, finalized_at FROM tributary.steps
           WHERE workflow_id = %s AND task_name IN ('b', 'c', 'd') ORDER BY task_name$$, :wf),
  $$VALUES ('b', 'cancelled', 'workflow cancelled', '2030-01-01 00:01:00+00'::timestamptz),
           ('c', 'cancelled', 'workflow cancelled', '2030-01-01 00:01:00+00'::timestamptz),
           ('d', 'cancelled', 'workflow cancelled', '2030-01-01 00:01:00+00'::timestamptz)$$,
  'running, available and pending steps are cancelled with the default reason, finalized now');
SELECT is(tributary_test.step_state(:wf, 'a'), 'completed', 'the completed step stays completed');
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'a')), '{"x": 1}'::jsonb,
  'the completed step keeps its result');
SELECT is((SELECT finalized_at FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'a')),
  '2030-01-01 00:00:00+00'::timestamptz, 'the completed step keeps its own finalized_at');
SELECT is((SELECT lease_expires_at FROM tributary.steps WHERE id = :b), NULL,
  'the cancelled running step no longer holds a lease');
SELECT is((SELECT attempt FROM tributary.steps WHERE id = :b), :b_attempt,
  'the cancelled running step keeps its attempt number');

SELECT results_eq(
  format('SELECT state, cancelled_at, finalized_at, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('cancelled', '2030-01-01 00:01:00+00'::timestamptz, '2030-01-01 00:01:00+00'::timestamptz, 0)$$,
  'the workflow is finalized as cancelled, with cancelled_at and finalized_at set, nothing unfinished');

-- The worker of the running step b learns about the cancellation.
SELECT is(tributary.heartbeat(:b, :b_attempt), false, 'heartbeat of the cancelled running step returns false');
SELECT throws_ok(
  format('SELECT tributary.complete_step(%s, %s, %L)', :b, :b_attempt, '{"late": true}'),
  'TB008', format('step %s (task "b") was cancelled: workflow cancelled', :b),
  'complete_step of the cancelled running step raises TB008');
SELECT throws_ok(
  format('SELECT tributary.fail_step(%s, %s, %L)', :b, :b_attempt, '{"message": "late"}'),
  'TB008', format('step %s (task "b") was cancelled: workflow cancelled', :b),
  'fail_step of the cancelled running step raises TB008');
SELECT results_eq(
  format('SELECT state, result, errors FROM tributary.steps WHERE id = %s', :b),
  $$VALUES ('cancelled', NULL::jsonb, '[]'::jsonb)$$,
  'the late calls stored neither a result nor an error');
SELECT results_eq(
  format('SELECT outcome FROM tributary.complete_steps(ARRAY[%s]::bigint[], ARRAY[%s])', :b, :b_attempt),
  $$VALUES ('cancelled')$$,
  'complete_steps reports the cancelled step as cancelled');

-- Cancelled steps are never claimed.
SELECT is((SELECT count(*) FROM tributary.claim_step('cw', 'worker-2', 10)), 0::bigint,
  'no cancelled step of the workflow is claimed');
SELECT tributary_test.advance('1 day');
SELECT is((SELECT count(*) FROM tributary.claim_step('cw', 'worker-2', 10)), 0::bigint,
  'still nothing claimable a day later');

-- A second call changes nothing.
SELECT is(tributary.cancel_workflow(:wf, 'again'), false, 'a second cancel_workflow returns false');
SELECT results_eq(
  format('SELECT state, cancelled_at, finalized_at FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('cancelled', '2030-01-01 00:01:00+00'::timestamptz, '2030-01-01 00:01:00+00'::timestamptz)$$,
  'the second call keeps the workflow''s state, cancelled_at and finalized_at');
SELECT is(
  (SELECT array_agg(DISTINCT cancel_reason) FROM tributary.steps WHERE workflow_id = :wf AND state = 'cancelled'),
  ARRAY['workflow cancelled'], 'the second call keeps the steps'' cancel reason');

-- A custom reason; a NULL reason falls back to the default.
SELECT tributary_test.diamond('cw2') AS wf2 \gset
SELECT is(tributary.cancel_workflow(:wf2, 'operator abort'), true, 'cancel with a custom reason returns true');
SELECT results_eq(
  format('SELECT task_name, state, cancel_reason FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf2),
  $$VALUES ('a', 'cancelled', 'operator abort'), ('b', 'cancelled', 'operator abort'),
           ('c', 'cancelled', 'operator abort'), ('d', 'cancelled', 'operator abort')$$,
  'every step carries the custom reason');
SELECT is(tributary_test.workflow_state(:wf2), 'cancelled', 'the workflow with the custom reason is cancelled');
SELECT tributary_test.chain(2, 'cw3') AS wf3 \gset
SELECT is(tributary.cancel_workflow(:wf3, NULL), true, 'cancel with a NULL reason returns true');
SELECT is(
  (SELECT array_agg(DISTINCT cancel_reason) FROM tributary.steps WHERE workflow_id = :wf3),
  ARRAY['workflow cancelled'], 'a NULL reason falls back to ''workflow cancelled''');

-- A completed workflow: false, nothing changes.
SELECT tributary_test.diamond('cw4') AS wf4 \gset
SELECT tributary_test.drain('cw4');
SELECT is(tributary_test.workflow_state(:wf4), 'completed', 'the drained diamond is completed');
SELECT is(tributary.cancel_workflow(:wf4), false, 'cancel_workflow on a completed workflow returns false');
SELECT results_eq(
  format('SELECT state, cancelled_at, finalized_at FROM tributary.workflows WHERE id = %s', :wf4),
  $$VALUES ('completed', NULL::timestamptz, '2030-01-02 00:01:00+00'::timestamptz)$$,
  'the completed workflow keeps its state and finalized_at and gets no cancelled_at');
SELECT is(
  (SELECT count(*) FROM tributary.steps WHERE workflow_id = :wf4 AND state = 'completed' AND cancel_reason IS NULL),
  4::bigint, 'its steps stay completed');

-- A failed workflow (a discarded, its downstream cancelled): false, nothing changes.
SELECT tributary_test.chain(3, 'cw5') AS wf5 \gset
SELECT tributary_test.claim(:wf5, 't1') AS t1_attempt \gset
SELECT tributary.fail_step(tributary_test.step_id(:wf5, 't1'), :t1_attempt, '{"message": "boom"}', false);
SELECT is(tributary_test.workflow_state(:wf5), 'failed', 'the chain whose root was discarded failed');
SELECT is(tributary.cancel_workflow(:wf5), false, 'cancel_workflow on a failed workflow returns false');
SELECT results_eq(
  format('SELECT state, cancelled_at IS NULL FROM tributary.workflows WHERE id = %s', :wf5),
  $$VALUES ('failed', true)$$,
  'the failed workflow stays failed without cancelled_at');
SELECT results_eq(
  format('SELECT task_name, state, cancel_reason FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf5),
  $$VALUES ('t1', 'discarded', NULL), ('t2', 'cancelled', 'upstream step "t1" was discarded'),
           ('t3', 'cancelled', 'upstream step "t1" was discarded')$$,
  'its discarded and cancelled steps keep their state and reason');

-- Unknown workflow.
SELECT throws_ok('SELECT tributary.cancel_workflow(-1)', 'TB009', 'workflow -1 does not exist',
  'cancel_workflow of an unknown workflow raises TB009');

SELECT * FROM finish();
ROLLBACK;
