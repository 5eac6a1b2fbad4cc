-- fail_step is fenced like complete_step: TB007 stale attempt (nothing changes), TB006 unknown
-- step, TB008 step cancelled during the attempt.
BEGIN;
SELECT plan(8);

SELECT tributary.create_workflow('ff', '[
  {"name": "a", "kind": "k", "queue": "ff", "retry_backoff": 0},
  {"name": "b", "kind": "k", "queue": "ff"}
]') AS wf \gset
SELECT tributary_test.step_id(:wf, 'a') AS a, tributary_test.step_id(:wf, 'b') AS b \gset
SELECT tributary_test.claim(:wf, 'a') AS ignored \gset

SELECT throws_ok(
  format($$SELECT tributary.fail_step(%s, 2, '"late"')$$, :a),
  'TB007', format('attempt 2 of step %s (task "a") is stale: the step is running at attempt 1', :a),
  'an attempt that does not hold the step raises TB007');
SELECT results_eq(
  format('SELECT state, attempt, errors, lease_expires_at IS NOT NULL FROM tributary.steps WHERE id = %s', :a),
  $$VALUES ('running', 1, '[]'::jsonb, true)$$,
  'the stale call recorded nothing and kept the lease');

SELECT tributary.fail_step(:a, 1, '"first"') AS ignored \gset
SELECT throws_ok(
  format($$SELECT tributary.fail_step(%s, 1, '"again"')$$, :a),
  'TB007', format('attempt 1 of step %s (task "a") is stale: the step is available at attempt 1', :a),
  'reporting the same failed attempt twice raises TB007');
SELECT is((SELECT jsonb_array_length(errors) FROM tributary.steps WHERE id = :a), 1,
  'the repeated report added no error');

SELECT tributary_test.claim(:wf, 'a') AS ignored \gset
SELECT tributary.complete_step(:a, 2, '"ok"') AS ignored \gset
SELECT throws_ok(
  format($$SELECT tributary.fail_step(%s, 2, '"too late"')$$, :a),
  'TB007', format('attempt 2 of step %s (task "a") is stale: the step is completed at attempt 2', :a),
  'failing a completed step raises TB007');

SELECT throws_ok(
  $$SELECT tributary.fail_step(-1, 1, '"x"')$$,
  'TB006', 'step -1 does not exist',
  'an unknown step raises TB006');

SELECT tributary_test.claim(:wf, 'b') AS ignored \gset
SELECT tributary.cancel_workflow(:wf) AS ignored \gset
SELECT throws_ok(
  format($$SELECT tributary.fail_step(%s, 1, '"x"')$$, :b),
  'TB008', format('step %s (task "b") was cancelled: workflow cancelled', :b),
  'failing a step cancelled during the attempt raises TB008');
SELECT results_eq(
  format('SELECT state, errors FROM tributary.steps WHERE id = %s', :b),
  $$VALUES ('cancelled', '[]'::jsonb)$$,
  'the cancelled step recorded no error');

SELECT * FROM finish();
ROLLBACK;
