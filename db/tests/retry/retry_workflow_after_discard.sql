-- retry_workflow() after a discard: diamond a -> (b, c) -> d where b is discarded (so d is
-- cancelled and the workflow failed). The retry reopens b and d, keeps a and c completed with
-- their results, runs the workflow again, and the attempts keep growing (old attempts stay
-- fenced out).
BEGIN;
SELECT plan(22);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary_test.diamond('rw', 1) AS wf \gset
SELECT tributary_test.step_id(:wf, 'b') AS b \gset
SELECT tributary_test.step_id(:wf, 'd') AS d \gset

SELECT tributary_test.run(:wf, 'a', '{"a": 1}');
SELECT tributary_test.claim(:wf, 'b') AS b_attempt \gset
SELECT tributary.fail_step(:b, :b_attempt, '{"message": "b broke"}');
SELECT tributary_test.run(:wf, 'c', '{"c": 3}');

SELECT results_eq(
  format('SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf),
  $$VALUES ('a', 'completed'), ('b', 'discarded'), ('c', 'completed'), ('d', 'cancelled')$$,
  'b exhausted its single attempt: b discarded, d cancelled');
SELECT is(tributary_test.workflow_state(:wf), 'failed', 'the workflow failed');

SELECT tributary_test.advance('1 hour');
SELECT is(tributary.retry_workflow(:wf), 2, 'retry_workflow reopens 2 steps (b and d)');

SELECT results_eq(
  format($$SELECT task_name, state, remaining_deps, cancel_reason, finalized_at, result
           FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name$$, :wf),
  $$VALUES ('a', 'completed', 0, NULL, '2030-01-01 00:00:00+00'::timestamptz, '{"a": 1}'::jsonb),
           ('b', 'available', 0, NULL, NULL, NULL),
           ('c', 'completed', 0, NULL, '2030-01-01 00:00:00+00'::timestamptz, '{"c": 3}'::jsonb),
           ('d', 'pending', 1, NULL, NULL, NULL)$$,
  'b is available, d pending on b alone, a and c completed with their results');
SELECT results_eq(
  format('SELECT state, finalized_at, cancelled_at, steps_total, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('running', NULL::timestamptz, NULL::timestamptz, 4, 2)$$,
  'the workflow is running again with 2 unfinished steps and no finalized_at');
SELECT is((SELECT scheduled_at FROM tributary.steps WHERE id = :b), '2030-01-01 01:00:00+00'::timestamptz,
  'the reopened step is claimable from the time of the retry');
SELECT ok((SELECT max_attempts >= attempt + 1 FROM tributary.steps WHERE id = :b),
  'the reopened step has at least one attempt left (max_attempts >= attempt + 1)');
SELECT is((SELECT jsonb_array_length(errors) FROM tributary.steps WHERE id = :b), 1,
  'the reopened step keeps its error history');

-- The old attempt of b stays fenced out.
SELECT throws_ok(
  format('SELECT tributary.complete_step(%s, %s, %L)', :b, :b_attempt, '{"old": true}'),
  'TB007', format('attempt %s of step %s (task "b") is stale: the step is available at attempt %s', :b_attempt, :b, :b_attempt),
  'the discarded attempt cannot complete the reopened step');

-- b's next claim is a new attempt.
SELECT results_eq(
  format('SELECT step_id, attempt, dependency_results FROM tributary.claim_step(%L, %L)', 'rw', 'worker-2'),
  format($$VALUES (%s::bigint, %s, '{"a": {"a": 1}}'::jsonb)$$, :b, :b_attempt + 1),
  'b is claimed again with attempt = old attempt + 1 and sees a''s result');
SELECT is(tributary_test.step_state(:wf, 'd'), 'pending', 'd waits while b runs');
SELECT lives_ok(format('SELECT tributary.complete_step(%s, %s, %L)', :b, :b_attempt + 1, '{"b": 2}'),
  'the new attempt of b completes');
SELECT results_eq(
  format('SELECT state, remaining_deps FROM tributary.steps WHERE id = %s', :d),
  $$VALUES ('available', 0)$$,
  'd is available once b completed');
SELECT results_eq(
  format('SELECT step_id, dependency_results FROM tributary.claim_step(%L, %L)', 'rw', 'worker-2'),
  format($$VALUES (%s::bigint, '{"b": {"b": 2}, "c": {"c": 3}}'::jsonb)$$, :d),
  'd is claimed with the new result of b and the kept result of c');
SELECT ok((SELECT attempt FROM tributary.steps WHERE id = :d) >= 1, 'd runs an attempt');
SELECT lives_ok(format('SELECT tributary.complete_step(%s, (SELECT attempt FROM tributary.steps WHERE id = %s), %L)', :d, :d, '{"d": 4}'),
  'd completes');

SELECT results_eq(
  format('SELECT state, finalized_at, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('completed', '2030-01-01 01:00:00+00'::timestamptz, 0)$$,
  'running the rest completes the workflow, finalized at the time of the last completion');
SELECT is((SELECT count(*) FROM tributary.steps WHERE workflow_id = :wf AND state = 'completed'), 4::bigint,
  'all four steps are completed');

-- A second retry finds nothing to do.
SELECT is(tributary.retry_workflow(:wf), 0, 'retry_workflow of the now completed workflow returns 0');
SELECT is(tributary_test.workflow_state(:wf), 'completed', 'and leaves it completed');

-- Retry again after a second discard of a reopened step: attempts keep growing past max_attempts.
SELECT tributary_test.diamond('rw2', 1) AS wf2 \gset
SELECT tributary_test.step_id(:wf2, 'a') AS a2 \gset
SELECT tributary.fail_step(:a2, tributary_test.claim(:wf2, 'a'), '{"message": "1st"}', false);
SELECT tributary.retry_workflow(:wf2);
SELECT tributary.fail_step(:a2, tributary_test.claim(:wf2, 'a'), '{"message": "2nd"}', false);
SELECT tributary.retry_workflow(:wf2);
SELECT results_eq(
  format('SELECT attempt, max_attempts FROM tributary.claim_step(%L, %L)', 'rw2', 'worker-3'),
  $$VALUES (3, 3)$$,
  'after two discards and two retries the step is claimed at attempt 3 with max_attempts 3');
SELECT is((SELECT jsonb_agg(e->>'attempt' ORDER BY e->>'attempt') FROM tributary.steps, jsonb_array_elements(errors) AS e WHERE id = :a2),
  '["1", "2"]'::jsonb, 'the error history holds both earlier attempts');

SELECT * FROM finish();
ROLLBACK;
