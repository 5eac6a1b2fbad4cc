-- Invariant 6: a stale attempt can never overwrite a newer one. Attempt 1 loses its lease and is
-- rescued; attempt 2 claims the step. While attempt 2 runs and after it completed, every call of
-- attempt 1 (complete, fail, heartbeat, batch complete) is refused and changes nothing; the
-- stored result is attempt 2's.
BEGIN;
SELECT plan(14);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('fenced', '[{"name": "s", "kind": "noop", "queue": "i6"}, {"name": "after", "kind": "noop", "queue": "i6-after", "depends_on": ["s"]}]') AS wf \gset
SELECT tributary_test.step_id(:wf, 's') AS s \gset

SELECT is(tributary_test.claim(:wf, 's', 'old-worker'), 1, 'the old worker holds attempt 1');
SELECT tributary_test.advance('61 seconds');
SELECT is(tributary.rescue_expired_steps(), 1, 'its lease expired and the step is rescued');
SELECT results_eq(
  format($$SELECT state, errors -> 0 ->> 'reason', errors -> 0 ->> 'message' FROM tributary.steps WHERE id = %s$$, :s),
  $$VALUES ('available', 'lease_expired', 'lease expired: worker old-worker stopped heartbeating')$$,
  'the rescue recorded the lost lease as a failed attempt');
SELECT tributary_test.advance('1 minute');
SELECT is(tributary_test.claim(:wf, 's', 'new-worker'), 2, 'the new worker holds attempt 2');

-- The old attempt while the new one runs.
SELECT throws_ok(format('SELECT tributary.complete_step(%s, 1, %L)', :s, '{"by": "old"}'),
  'TB007', format('attempt 1 of step %s (task "s") is stale: the step is running at attempt 2', :s),
  'the old attempt cannot complete the step the new attempt holds');
SELECT throws_ok(format('SELECT tributary.fail_step(%s, 1, %L)', :s, '{"message": "old"}'),
  'TB007', format('attempt 1 of step %s (task "s") is stale: the step is running at attempt 2', :s),
  'the old attempt cannot fail it');
SELECT is(tributary.heartbeat(:s, 1), false, 'the old attempt''s heartbeat returns false');
SELECT results_eq(
  format('SELECT state, attempt, worker_id, result, jsonb_array_length(errors) FROM tributary.steps WHERE id = %s', :s),
  $$VALUES ('running', 2, 'new-worker', NULL::jsonb, 1)$$,
  'the new attempt still holds the step, untouched by the old one');

SELECT lives_ok(format('SELECT tributary.complete_step(%s, 2, %L)', :s, '{"by": "new"}'), 'the new attempt completes');

-- The old attempt after the new one completed.
SELECT throws_ok(format('SELECT tributary.complete_step(%s, 1, %L)', :s, '{"by": "old"}'),
  'TB007', format('attempt 1 of step %s (task "s") is stale: the step is completed at attempt 2', :s),
  'the old attempt cannot overwrite the completed step');
SELECT throws_ok(format('SELECT tributary.fail_step(%s, 1, %L, false)', :s, '{"message": "old"}'),
  'TB007', format('attempt 1 of step %s (task "s") is stale: the step is completed at attempt 2', :s),
  'nor discard it');
SELECT results_eq(
  format('SELECT outcome FROM tributary.complete_steps(ARRAY[%s]::bigint[], ARRAY[1], ARRAY[%L]::jsonb[])', :s, '{"by": "old"}'),
  $$VALUES ('stale')$$,
  'the batch completion of the old attempt reports stale');
SELECT results_eq(
  format('SELECT state, attempt, result, jsonb_array_length(errors) FROM tributary.steps WHERE id = %s', :s),
  $$VALUES ('completed', 2, '{"by": "new"}'::jsonb, 1)$$,
  'the result is the new attempt''s and no error was added');
SELECT results_eq($$SELECT dependency_results FROM tributary.claim_step('i6-after', 'w')$$,
  $$VALUES ('{"s": {"by": "new"}}'::jsonb)$$,
  'the dependent sees the new attempt''s result');

SELECT * FROM finish();
ROLLBACK;
