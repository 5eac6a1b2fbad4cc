-- retry_workflow() of a cancelled workflow reopens its cancelled steps (the one that was running
-- included, fenced by its attempt), clears cancelled_at and lets the workflow complete; TB009
-- for an unknown workflow; 0 when nothing failed.
BEGIN;
SELECT plan(17);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary_test.diamond('rc') AS wf \gset
SELECT tributary_test.step_id(:wf, 'b') AS b \gset
SELECT tributary_test.run(:wf, 'a', '{"a": 1}');
SELECT tributary_test.claim(:wf, 'b', 'worker-1') AS b_attempt \gset
SELECT tributary.cancel_workflow(:wf, 'stop');
SELECT is(tributary_test.workflow_state(:wf), 'cancelled', 'the workflow is cancelled');

SELECT tributary_test.advance('5 minutes');
SELECT is(tributary.retry_workflow(:wf), 3, 'retry_workflow reopens the three cancelled steps');
SELECT results_eq(
  format($$SELECT task_name, state, remaining_deps, cancel_reason FROM tributary.steps
           WHERE workflow_id = %s ORDER BY task_name$$, :wf),
  $$VALUES ('a', 'completed', 0, NULL), ('b', 'available', 0, NULL),
           ('c', 'available', 0, NULL), ('d', 'pending', 2, NULL)$$,
  'b and c are available, d waits for both, a stays completed; no cancel reason is left');
SELECT results_eq(
  format('SELECT state, cancelled_at, finalized_at, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('running', NULL::timestamptz, NULL::timestamptz, 3)$$,
  'the workflow is running again: cancelled_at and finalized_at cleared, 3 unfinished');

-- The worker that held b when it was cancelled is fenced out.
SELECT is(tributary.heartbeat(:b, :b_attempt), false, 'the old attempt''s heartbeat returns false');
SELECT throws_ok(
  format('SELECT tributary.complete_step(%s, %s, %L)', :b, :b_attempt, '{"old": true}'),
  'TB007', format('attempt %s of step %s (task "b") is stale: the step is available at attempt %s', :b_attempt, :b, :b_attempt),
  'the old attempt cannot complete the reopened step');
SELECT results_eq(
  format('SELECT step_id, attempt FROM tributary.claim_step(%L, %L)', 'rc', 'worker-2'),
  format('VALUES (%s::bigint, %s)', :b, :b_attempt + 1),
  'b is claimed again at the next attempt');
SELECT throws_ok(
  format('SELECT tributary.fail_step(%s, %s, %L)', :b, :b_attempt, '{"message": "old"}'),
  'TB007', format('attempt %s of step %s (task "b") is stale: the step is running at attempt %s', :b_attempt, :b, :b_attempt + 1),
  'the old attempt cannot fail the step the new attempt holds');
SELECT tributary.complete_step(:b, :b_attempt + 1, '{"b": 2}');
SELECT is(tributary_test.drain('rc'), 2, 'c and d run');
SELECT results_eq(
  format('SELECT state, cancelled_at, finalized_at FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('completed', NULL::timestamptz, '2030-01-01 00:05:00+00'::timestamptz)$$,
  'the retried workflow completes (not cancelled)');
SELECT is((SELECT result FROM tributary.steps WHERE id = :b), '{"b": 2}'::jsonb, 'b holds the new attempt''s result');

-- Regression: _reopen_steps sets scheduled_at = now() on every reopened step, so a retried step of a
-- workflow scheduled for later becomes claimable before the workflow's scheduled_at (and a step
-- that had its own later scheduled_at loses it). Expected: scheduled_at >= the workflow's
-- scheduled_at (GREATEST with the workflow's, as the direct-insert trigger does).
SELECT tributary.create_workflow('later', '[{"name": "x", "kind": "noop", "queue": "rc-later"}]',
                                 '2030-02-01 00:00:00+00') AS wf_later \gset
SELECT tributary.cancel_workflow(:wf_later);
SELECT tributary.retry_workflow(:wf_later);
SELECT ok((SELECT s.scheduled_at >= w.scheduled_at FROM tributary.steps AS s JOIN tributary.workflows AS w ON w.id = s.workflow_id
           WHERE w.id = :wf_later),
  'a reopened step of a workflow scheduled for later is not scheduled before the workflow');
SELECT is((SELECT count(*) FROM tributary.claim_step('rc-later', 'worker-3')), 0::bigint,
  'a reopened step is not claimable before its workflow''s scheduled_at');

-- Nothing to retry.
SELECT tributary_test.diamond('rc-idle') AS wf_idle \gset
SELECT is(tributary.retry_workflow(:wf_idle), 0, 'retry_workflow of a running workflow with nothing failed returns 0');
SELECT results_eq(
  format('SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf_idle),
  $$VALUES ('a', 'available'), ('b', 'pending'), ('c', 'pending'), ('d', 'pending')$$,
  'and changes no step');
SELECT is((SELECT steps_unfinished FROM tributary.workflows WHERE id = :wf_idle), 4, 'nor the counters');

SELECT throws_ok('SELECT tributary.retry_workflow(-1)', 'TB009', 'workflow -1 does not exist',
  'retry_workflow of an unknown workflow raises TB009');

SELECT * FROM finish();
ROLLBACK;
