-- A non-retryable failure, or a failure of the last attempt, discards the step, cancels every
-- step downstream of it, and fails the workflow once nothing can run any more.
BEGIN;
SELECT plan(13);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset

-- Diamond with 3 attempts: b fails non-retryably at its first attempt.
SELECT tributary_test.diamond('dq', 3) AS wf \gset
SELECT tributary_test.step_id(:wf, 'b') AS b \gset
SELECT tributary_test.run(:wf, 'a') AS ignored \gset
SELECT tributary_test.claim(:wf, 'b', 'w-b') AS ignored \gset
SELECT tributary_test.claim(:wf, 'c', 'w-c') AS ignored \gset
SELECT tributary_test.advance('2 seconds') AS t1 \gset

SELECT is(tributary.fail_step(:b, 1, '{"message": "bad input"}', false), 'discarded',
  'a non-retryable failure discards the step at once, attempts left or not');
SELECT results_eq(
  format('SELECT state, attempt, finalized_at, lease_expires_at, errors FROM tributary.steps WHERE id = %s', :b),
  format($$VALUES ('discarded', 1, timestamptz %L, NULL::timestamptz,
                   jsonb_build_array(jsonb_build_object('attempt', 1, 'at', timestamptz %L, 'worker_id', 'w-b',
                                                        'retryable', false, 'message', 'bad input')))$$, :'t1', :'t1'),
  'the discarded step is finalized, its lease cleared, its error recorded as not retryable');
SELECT results_eq(
  format($$SELECT state, cancel_reason, finalized_at FROM tributary.steps WHERE workflow_id = %s AND task_name = 'd'$$, :wf),
  format($$VALUES ('cancelled', 'upstream step "b" was discarded', timestamptz %L)$$, :'t1'),
  'the downstream step d is cancelled with the reason');
SELECT results_eq(
  format('SELECT state, steps_unfinished, finalized_at FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('running', 1, NULL::timestamptz)$$,
  'the workflow keeps running while the independent branch c still runs');
SELECT is(tributary_test.step_state(:wf, 'c'), 'running', 'c was not cancelled (it does not depend on b)');

SELECT tributary_test.advance('3 seconds') AS t2 \gset
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'c'), 1, '"c"') AS ignored \gset
SELECT results_eq(
  format('SELECT state, steps_unfinished, finalized_at FROM tributary.workflows WHERE id = %s', :wf),
  format($$VALUES ('failed', 0, timestamptz %L)$$, :'t2'),
  'when c finishes nothing can run any more: the workflow ends failed');
SELECT results_eq(
  format($$SELECT state, cancel_reason FROM tributary.steps WHERE workflow_id = %s AND task_name = 'd'$$, :wf),
  $$VALUES ('cancelled', 'upstream step "b" was discarded')$$,
  'completing c did not revive the cancelled d');

-- A chain t1 -> t2 -> t3 where t1 has 2 attempts: the second retryable failure exhausts them.
SELECT tributary.create_workflow('chain', '[
  {"name": "t1", "kind": "k", "queue": "dchain", "max_attempts": 2, "retry_backoff": 0},
  {"name": "t2", "kind": "k", "queue": "dchain", "depends_on": ["t1"]},
  {"name": "t3", "kind": "k", "queue": "dchain", "depends_on": ["t2"]}
]') AS wf2 \gset
SELECT tributary_test.step_id(:wf2, 't1') AS t1 \gset
SELECT tributary_test.claim(:wf2, 't1') AS ignored \gset
SELECT is(tributary.fail_step(:t1, 1, '"first"'), 'available', 'attempt 1 of 2 is retried');
SELECT tributary_test.claim(:wf2, 't1') AS ignored \gset
SELECT is(tributary.fail_step(:t1, 2, '"second"'), 'discarded', 'a retryable failure of the last attempt discards the step');
SELECT results_eq(
  format('SELECT state, attempt, jsonb_array_length(errors) FROM tributary.steps WHERE id = %s', :t1),
  $$VALUES ('discarded', 2, 2)$$,
  'the exhausted step keeps both errors');
SELECT results_eq(
  format('SELECT task_name, state, cancel_reason FROM tributary.steps WHERE workflow_id = %s AND task_name <> %L ORDER BY task_name', :wf2, 't1'),
  $$VALUES ('t2', 'cancelled', 'upstream step "t1" was discarded'),
           ('t3', 'cancelled', 'upstream step "t1" was discarded')$$,
  'every downstream step, transitively, is cancelled naming the discarded step');
SELECT results_eq(
  format('SELECT state, steps_unfinished, finalized_at FROM tributary.workflows WHERE id = %s', :wf2),
  format($$VALUES ('failed', 0, timestamptz %L)$$, :'t2'),
  'with nothing left to run the workflow fails at once');
SELECT is_empty($$SELECT * FROM tributary.claim_step('dchain', 'w', 10)$$,
  'nothing of the failed workflow is claimable');

SELECT * FROM finish();
ROLLBACK;
