-- complete_step is fenced by attempt: a wrong or repeated attempt raises TB007 and changes
-- nothing, an unknown step TB006, a step cancelled during the attempt TB008.
BEGIN;
SELECT plan(9);

SELECT tributary_test.diamond('cf') AS wf \gset
SELECT tributary_test.step_id(:wf, 'a') AS a, tributary_test.step_id(:wf, 'b') AS b \gset
SELECT tributary_test.claim(:wf, 'a') AS ignored \gset

SELECT throws_ok(
  format($$SELECT tributary.complete_step(%s, 2, '"late"')$$, :a),
  'TB007', format('attempt 2 of step %s (task "a") is stale: the step is running at attempt 1', :a),
  'an attempt that does not hold the step raises TB007');
SELECT results_eq(
  format('SELECT state, attempt, result, finalized_at FROM tributary.steps WHERE id = %s', :a),
  $$VALUES ('running', 1, NULL::jsonb, NULL::timestamptz)$$,
  'the stale call changed nothing on the step');
SELECT is(tributary_test.step_state(:wf, 'b'), 'pending', 'nor unlocked its dependents');

SELECT tributary.complete_step(:a, 1, '"first"') AS ignored \gset
SELECT throws_ok(
  format($$SELECT tributary.complete_step(%s, 1, '"second"')$$, :a),
  'TB007', format('attempt 1 of step %s (task "a") is stale: the step is completed at attempt 1', :a),
  'completing a completed step again raises TB007');
SELECT is((SELECT result FROM tributary.steps WHERE id = :a), '"first"'::jsonb,
  'the first result is kept');

SELECT throws_ok(
  $$SELECT tributary.complete_step(-1, 1, '{}')$$,
  'TB006', 'step -1 does not exist',
  'an unknown step raises TB006');

-- b is claimed, then its workflow is cancelled while the worker runs it.
SELECT tributary_test.claim(:wf, 'b') AS ignored \gset
SELECT tributary.cancel_workflow(:wf, 'operator said stop') AS ignored \gset
SELECT throws_ok(
  format($$SELECT tributary.complete_step(%s, 1, '"b"')$$, :b),
  'TB008', format('step %s (task "b") was cancelled: operator said stop', :b),
  'completing a step cancelled during the attempt raises TB008 with the reason');
SELECT results_eq(
  format('SELECT state, result, cancel_reason FROM tributary.steps WHERE id = %s', :b),
  $$VALUES ('cancelled', NULL::jsonb, 'operator said stop')$$,
  'the cancelled step keeps no result');
SELECT results_eq(
  format('SELECT state, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('cancelled', 0)$$,
  'the late completion did not touch the cancelled workflow');

SELECT * FROM finish();
ROLLBACK;
