-- rescue_expired_steps takes back running steps whose lease expired as a failed, retryable
-- attempt (reason lease_expired, or timeout past the deadline); the dead attempt is fenced off.
BEGIN;
SELECT plan(15);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset
SELECT tributary.create_workflow('rs', '[
  {"name": "a", "kind": "k", "queue": "rs", "max_attempts": 3, "retry_backoff": "10 seconds"},
  {"name": "b", "kind": "k", "queue": "rs", "depends_on": ["a"]}
]') AS wf \gset
SELECT tributary_test.step_id(:wf, 'a') AS a \gset
SELECT tributary_test.claim(:wf, 'a', 'w-dead') AS ignored \gset

SELECT tributary_test.advance('30 seconds') AS ignored \gset
SELECT is(tributary.rescue_expired_steps(), 0, 'nothing is rescued while the lease is valid');
SELECT results_eq(
  format('SELECT state, attempt, errors FROM tributary.steps WHERE id = %s', :a),
  $$VALUES ('running', 1, '[]'::jsonb)$$,
  'the leased step keeps running');

SELECT tributary_test.set_now(:'t0'::timestamptz + interval '61 seconds') AS t1 \gset
SELECT is(tributary.rescue_expired_steps(), 1, 'after the lease expired the step is rescued; the count is returned');
SELECT results_eq(
  format('SELECT state, attempt, lease_expires_at, deadline_at FROM tributary.steps WHERE id = %s', :a),
  $$VALUES ('available', 1, NULL::timestamptz, NULL::timestamptz)$$,
  'the rescued step is available again, lease cleared');
SELECT is((SELECT errors FROM tributary.steps WHERE id = :a),
  jsonb_build_array(jsonb_build_object('attempt', 1, 'at', :'t1'::timestamptz, 'worker_id', 'w-dead', 'retryable', true,
                                       'reason', 'lease_expired',
                                       'message', 'lease expired: worker w-dead stopped heartbeating')),
  'the lost attempt is recorded with reason lease_expired');
SELECT ok(
  (SELECT scheduled_at BETWEEN :'t1'::timestamptz + interval '5 seconds' AND :'t1'::timestamptz + interval '10 seconds'
   FROM tributary.steps WHERE id = :a),
  'it is retried after the backoff, like a failed attempt');
SELECT is(tributary.rescue_expired_steps(), 0, 'a second rescue finds nothing');

SELECT throws_ok(
  format($$SELECT tributary.complete_step(%s, 1, '"zombie"')$$, :a),
  'TB007', format('attempt 1 of step %s (task "a") is stale: the step is available at attempt 1', :a),
  'the dead attempt cannot complete the rescued step');

SELECT scheduled_at AS retry_at FROM tributary.steps WHERE id = :a \gset
SELECT tributary_test.set_now(:'retry_at') AS t2 \gset
SELECT results_eq(
  $$SELECT task_name, attempt FROM tributary.claim_step('rs', 'w-new')$$,
  $$VALUES ('a', 2)$$,
  'the new claim gets attempt 2');
SELECT throws_ok(
  format($$SELECT tributary.complete_step(%s, 1, '"zombie"')$$, :a),
  'TB007', format('attempt 1 of step %s (task "a") is stale: the step is running at attempt 2', :a),
  'the dead attempt still cannot complete it while attempt 2 holds it');
SELECT is(tributary.heartbeat(:a, 1), false, 'nor heartbeat it');
SELECT lives_ok(format($$SELECT tributary.complete_step(%s, 2, '"fresh"')$$, :a),
  'the new attempt completes it');
SELECT results_eq(
  format($$SELECT task_name, state, result FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name$$, :wf),
  $$VALUES ('a', 'completed', '"fresh"'::jsonb), ('b', 'available', NULL::jsonb)$$,
  'the new attempt''s result is stored and b is unlocked');

-- A step with a timeout whose deadline passed is rescued with reason timeout.
SELECT tributary.create_workflow('rt', '[{"name": "t", "kind": "k", "queue": "rt", "timeout": "30 seconds"}]') AS wf2 \gset
SELECT tributary_test.step_id(:wf2, 't') AS t \gset
SELECT tributary_test.claim(:wf2, 't', 'w-slow') AS ignored \gset
SELECT tributary_test.advance('61 seconds') AS t3 \gset
SELECT is(tributary.rescue_expired_steps(), 1, 'the timed-out step is rescued once its lease expired');
SELECT is((SELECT errors->0 FROM tributary.steps WHERE id = :t),
  jsonb_build_object('attempt', 1, 'at', :'t3'::timestamptz, 'worker_id', 'w-slow', 'retryable', true,
                     'reason', 'timeout', 'message', 'attempt timed out after 00:00:30'),
  'past its deadline the error has reason timeout');

SELECT * FROM finish();
ROLLBACK;
