-- Invariant 4: no step waits forever. A wide graph r -> m1..m20 -> l1..l20 -> z: m3 fails with a
-- non-retryable error, m5's worker dies twice (its lease expires, rescue_expired_steps() takes it
-- back, then discards it after its last attempt); every other step runs. In the end every step is
-- completed, discarded or cancelled and the workflow is finalized as failed.
BEGIN;
SELECT plan(9);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('wide',
  jsonb_build_array(jsonb_build_object('name', 'r', 'kind', 'noop', 'queue', 'i4'))
  || (SELECT jsonb_agg(jsonb_build_object('name', 'm' || i, 'kind', 'noop', 'queue', 'i4', 'max_attempts', 2,
                                          'depends_on', jsonb_build_array('r'))) FROM generate_series(1, 20) AS i)
  || (SELECT jsonb_agg(jsonb_build_object('name', 'l' || i, 'kind', 'noop', 'queue', 'i4-leaf',
                                          'depends_on', jsonb_build_array('m' || i))) FROM generate_series(1, 20) AS i)
  || jsonb_build_array(jsonb_build_object('name', 'z', 'kind', 'noop', 'queue', 'i4-leaf',
                                          'depends_on', (SELECT jsonb_agg('l' || i) FROM generate_series(1, 20) AS i)))
) AS wf \gset
SELECT tributary_test.step_id(:wf, 'm3') AS m3 \gset
SELECT tributary_test.step_id(:wf, 'm5') AS m5 \gset

SELECT tributary_test.run(:wf, 'r');
-- One worker claims all twenty middle steps.
SELECT is((SELECT count(*) FROM tributary.claim_step('i4', 'w', 100)), 20::bigint, 'the twenty middle steps are claimed');
SELECT tributary.fail_step(:m3, 1, '{"message": "bad input"}', false);
SELECT is(
  (SELECT count(*) FROM tributary.complete_steps(
     (SELECT array_agg(id) FROM tributary.steps WHERE workflow_id = :wf AND task_name ~ '^m' AND id NOT IN (:m3, :m5)),
     array_fill(1, ARRAY[18])) WHERE outcome = 'completed'),
  18::bigint, 'eighteen middle steps complete; m5''s worker dies silently');

-- m5's lease expires twice: the first rescue retries it, the second discards it.
SELECT tributary_test.advance('61 seconds');
SELECT tributary.rescue_expired_steps();
SELECT tributary_test.advance('1 minute');
SELECT tributary_test.claim(:wf, 'm5', 'w2');
SELECT tributary_test.advance('61 seconds');
SELECT tributary.rescue_expired_steps();
SELECT results_eq(
  format($$SELECT state, attempt, jsonb_path_query_array(errors, '$[*].reason') FROM tributary.steps WHERE id = %s$$, :m5),
  $$VALUES ('discarded', 2, '["lease_expired", "lease_expired"]'::jsonb)$$,
  'the step of the dead workers is discarded after two expired leases');

SELECT is(tributary_test.drain('i4-leaf'), 18, 'the eighteen leaves whose middle step completed run');

SELECT is(
  (SELECT count(*) FROM tributary.steps WHERE workflow_id = :wf AND state NOT IN ('completed', 'discarded', 'cancelled')),
  0::bigint, 'no step is left pending, available or running');
SELECT results_eq(
  format('SELECT state, count(*) FROM tributary.steps WHERE workflow_id = %s GROUP BY state ORDER BY state', :wf),
  $$VALUES ('cancelled', 3::bigint), ('completed', 37::bigint), ('discarded', 2::bigint)$$,
  '37 completed, 2 discarded (m3, m5), 3 cancelled (l3, l5, z)');
SELECT results_eq(
  format($$SELECT task_name, cancel_reason FROM tributary.steps WHERE workflow_id = %s AND state = 'cancelled' ORDER BY task_name$$, :wf),
  $$VALUES ('l3', 'upstream step "m3" was discarded'), ('l5', 'upstream step "m5" was discarded'),
           ('z', 'upstream step "m3" was discarded')$$,
  'each cancelled step records which discarded step it waited for');
SELECT results_eq(
  format('SELECT state, steps_unfinished, finalized_at IS NOT NULL FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('failed', 0, true)$$,
  'the workflow is finalized as failed');
SELECT is((SELECT count(*) FROM tributary.claim_step('i4', 'w3', 100)) + (SELECT count(*) FROM tributary.claim_step('i4-leaf', 'w3', 100)),
  0::bigint, 'nothing is left to claim');

SELECT * FROM finish();
ROLLBACK;
