-- retry_step(): re-runs one discarded step and the steps cancelled downstream of it, keeping
-- completed results; TB011 for a step that is not discarded/cancelled or that depends on a step
-- that is itself discarded/cancelled; TB006 unknown step.
BEGIN;
SELECT plan(18);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary_test.diamond('rs', 1) AS wf \gset
SELECT tributary_test.step_id(:wf, 'a') AS a \gset
SELECT tributary_test.step_id(:wf, 'b') AS b \gset
SELECT tributary_test.step_id(:wf, 'c') AS c \gset
SELECT tributary_test.step_id(:wf, 'd') AS d \gset

-- Wrong states, while the workflow runs: a running, then b available, d pending, a completed.
SELECT tributary_test.claim(:wf, 'a') AS a_attempt \gset
SELECT throws_ok(format('SELECT tributary.retry_step(%s)', :a), 'TB011',
  format('step %s (task "a") is running: only discarded or cancelled steps can be retried', :a),
  'retry_step of a running step raises TB011');
SELECT throws_ok(format('SELECT tributary.retry_step(%s)', :d), 'TB011',
  format('step %s (task "d") is pending: only discarded or cancelled steps can be retried', :d),
  'retry_step of a pending step raises TB011');
SELECT tributary.complete_step(:a, :a_attempt, '{"a": 1}');
SELECT throws_ok(format('SELECT tributary.retry_step(%s)', :a), 'TB011',
  format('step %s (task "a") is completed: only discarded or cancelled steps can be retried', :a),
  'retry_step of a completed step raises TB011');
SELECT throws_ok(format('SELECT tributary.retry_step(%s)', :b), 'TB011',
  format('step %s (task "b") is available: only discarded or cancelled steps can be retried', :b),
  'retry_step of an available step raises TB011');
SELECT throws_ok('SELECT tributary.retry_step(-1)', 'TB006', 'step -1 does not exist',
  'retry_step of an unknown step raises TB006');

-- b discarded: d cancelled; c completes, the workflow fails.
SELECT tributary_test.claim(:wf, 'b') AS b_attempt \gset
SELECT tributary.fail_step(:b, :b_attempt, '{"message": "no"}', false);
SELECT tributary_test.run(:wf, 'c', '{"c": 3}');
SELECT is(tributary_test.workflow_state(:wf), 'failed', 'the workflow failed after b was discarded');

SELECT throws_ok(format('SELECT tributary.retry_step(%s)', :d), 'TB011',
  format('step %s (task "d") cannot run: it depends on task "b", which is not completed', :d),
  'retry_step of d, cancelled because b was discarded, raises TB011 naming b');
SELECT results_eq(
  format('SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf),
  $$VALUES ('a', 'completed'), ('b', 'discarded'), ('c', 'completed'), ('d', 'cancelled')$$,
  'the refused retries changed no step');
SELECT is(tributary_test.workflow_state(:wf), 'failed', 'the refused retries left the workflow failed');

SELECT tributary_test.advance('10 minutes');
SELECT is(tributary.retry_step(:b), 2, 'retry_step of the discarded step reopens it and its cancelled dependent');
SELECT results_eq(
  format($$SELECT task_name, state, remaining_deps, cancel_reason, finalized_at
           FROM tributary.steps WHERE workflow_id = %s AND task_name IN ('b', 'd') ORDER BY task_name$$, :wf),
  $$VALUES ('b', 'available', 0, NULL, NULL::timestamptz), ('d', 'pending', 1, NULL, NULL)$$,
  'b is available and d pending on b alone');
SELECT results_eq(
  format($$SELECT task_name, state, result FROM tributary.steps
           WHERE workflow_id = %s AND task_name IN ('a', 'c') ORDER BY task_name$$, :wf),
  $$VALUES ('a', 'completed', '{"a": 1}'::jsonb), ('c', 'completed', '{"c": 3}'::jsonb)$$,
  'a and c stay completed with their results');
SELECT results_eq(
  format('SELECT state, finalized_at, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('running', NULL::timestamptz, 2)$$,
  'the workflow is running again with 2 unfinished steps');
SELECT ok((SELECT max_attempts >= attempt + 1 FROM tributary.steps WHERE id = :b),
  'b got at least one more attempt');

SELECT results_eq(
  format('SELECT step_id, attempt FROM tributary.claim_step(%L, %L)', 'rs', 'worker-2'),
  format('VALUES (%s::bigint, %s)', :b, :b_attempt + 1),
  'b is claimed at the next attempt number');
SELECT tributary.complete_step(:b, :b_attempt + 1, '{"b": 2}');
SELECT throws_ok(format('SELECT tributary.retry_step(%s)', :b), 'TB011',
  format('step %s (task "b") is completed: only discarded or cancelled steps can be retried', :b),
  'the completed retried step cannot be retried again');
SELECT is(tributary_test.drain('rs'), 1, 'only d is left to run');
SELECT results_eq(
  format('SELECT state, steps_unfinished, finalized_at FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('completed', 0, '2030-01-01 00:10:00+00'::timestamptz)$$,
  'the workflow completes after the retried steps ran');

SELECT * FROM finish();
ROLLBACK;
