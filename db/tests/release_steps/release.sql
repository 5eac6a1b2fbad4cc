-- release_steps gives back running steps at once without counting the attempt, ignores pairs that
-- no longer hold their step, and fences the released attempt out.
BEGIN;
SELECT plan(13);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset
SELECT tributary.create_workflow('r', '[{"name": "a", "kind": "k", "queue": "rq_a", "max_attempts": 1},
                                      {"name": "b", "kind": "k", "queue": "rq_b", "max_attempts": 3},
                                      {"name": "c", "kind": "k", "queue": "rq_c"}]') AS wf \gset
SELECT tributary_test.step_id(:wf, 'a') AS a, tributary_test.step_id(:wf, 'b') AS b, tributary_test.step_id(:wf, 'c') AS c \gset
SELECT tributary_test.claim(:wf, 'a', 'w1') AS ignored \gset
SELECT tributary_test.claim(:wf, 'b', 'w1') AS ignored \gset
SELECT tributary_test.advance('5 seconds') AS t1 \gset

SELECT is(tributary.release_steps(ARRAY[:a, :b, :c, -1]::bigint[], ARRAY[1, 1, 1, 1]), 2,
  'two running steps are released; a step that is not running and an unknown id are ignored');
SELECT results_eq(
  format('SELECT task_name, state, attempt, max_attempts, scheduled_at, lease_expires_at, deadline_at FROM tributary.steps WHERE id IN (%s, %s) ORDER BY id', :a, :b),
  format($$VALUES ('a', 'available', 1, 2, timestamptz %L, NULL::timestamptz, NULL::timestamptz),
                  ('b', 'available', 1, 4, timestamptz %L, NULL, NULL)$$, :'t1', :'t1'),
  'each is available at once, its lease dropped, one more attempt allowed: the attempt does not count');
SELECT results_eq(
  format($$SELECT e->>'reason', (e->>'attempt')::int, e->>'worker_id', (e->>'retryable')::boolean FROM tributary.steps, jsonb_array_elements(errors) AS e WHERE id = %s$$, :b),
  $$VALUES ('released', 1, 'w1', true)$$,
  'the release is recorded in the error history');
SELECT is((SELECT state FROM tributary.steps WHERE id = :c), 'available', 'the step that was not running is untouched');

-- With max_attempts 1, a released step still gets its one attempt.
SELECT tributary_test.claim(:wf, 'a', 'w2') AS a_attempt \gset
SELECT is(:a_attempt, 2, 'a step with max_attempts 1 is claimed again after a release (attempt 2)');
SELECT throws_ok(format('SELECT tributary.complete_step(%s, 1)', :a), 'TB007', NULL,
  'the released attempt is fenced out');
SELECT is(tributary.fail_step(:a, 2, '{"message": "boom"}'), 'discarded',
  '... and a failure of the new attempt discards it: one real attempt was allowed, not two');

-- Stale pairs change nothing.
SELECT tributary_test.claim(:wf, 'b', 'w3') AS b_attempt \gset
SELECT is(tributary.release_steps(ARRAY[:b]::bigint[], ARRAY[1]), 0, 'an older attempt cannot release the step');
SELECT results_eq(
  format('SELECT state, attempt, worker_id, max_attempts FROM tributary.steps WHERE id = %s', :b),
  $$VALUES ('running', 2, 'w3', 4)$$,
  '... the attempt that holds it keeps it');
SELECT is(tributary.release_steps(ARRAY[]::bigint[], ARRAY[]::integer[]), 0, 'an empty batch releases nothing');
SELECT throws_ok(format('SELECT tributary.release_steps(ARRAY[%s]::bigint[], ARRAY[1, 2])', :b),
  'TB012', 'step ids and attempts must have the same length', 'arrays of different lengths: TB012');

-- Released steps are claimable by anyone at once, in claim order.
SELECT is(tributary.release_steps(ARRAY[:b]::bigint[], ARRAY[:b_attempt]), 1, 'the holder releases it');
SELECT results_eq($$SELECT task_name, attempt FROM tributary.claim_step('rq_b', 'w4')$$,
  $$VALUES ('b', 3)$$, 'it is claimed at once with the next attempt number');

SELECT * FROM finish();
ROLLBACK;
