-- A rescue of the last attempt discards the step and cancels its downstream steps; p_limit
-- bounds how many steps one call rescues, oldest lease first.
BEGIN;
SELECT plan(10);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset
SELECT tributary.create_workflow('rmax', '[
  {"name": "a", "kind": "k", "queue": "rmax", "max_attempts": 2, "retry_backoff": 0},
  {"name": "b", "kind": "k", "queue": "rmax", "depends_on": ["a"]},
  {"name": "c", "kind": "k", "queue": "rmax", "depends_on": ["b"]}
]') AS wf \gset
SELECT tributary_test.step_id(:wf, 'a') AS a \gset

SELECT tributary_test.claim(:wf, 'a', 'w1') AS ignored \gset
SELECT tributary_test.advance('61 seconds') AS ignored \gset
SELECT is(tributary.rescue_expired_steps(), 1, 'attempt 1 of 2 is rescued');
SELECT is(tributary_test.step_state(:wf, 'a'), 'available', 'and retried');
SELECT tributary_test.claim(:wf, 'a', 'w2') AS ignored \gset
SELECT tributary_test.advance('61 seconds') AS t1 \gset
SELECT is(tributary.rescue_expired_steps(), 1, 'the last attempt is rescued too');
SELECT results_eq(
  format($$SELECT state, attempt, finalized_at, jsonb_array_length(errors), errors->1->>'worker_id', errors->1->>'reason'
           FROM tributary.steps WHERE id = %s$$, :a),
  format($$VALUES ('discarded', 2, timestamptz %L, 2, 'w2', 'lease_expired')$$, :'t1'),
  'at max attempts the rescue discards the step, recording the lost attempt');
SELECT results_eq(
  format('SELECT task_name, state, cancel_reason FROM tributary.steps WHERE workflow_id = %s AND task_name <> %L ORDER BY task_name', :wf, 'a'),
  $$VALUES ('b', 'cancelled', 'upstream step "a" was discarded'), ('c', 'cancelled', 'upstream step "a" was discarded')$$,
  'its downstream steps are cancelled');
SELECT results_eq(
  format('SELECT state, steps_unfinished, finalized_at FROM tributary.workflows WHERE id = %s', :wf),
  format($$VALUES ('failed', 0, timestamptz %L)$$, :'t1'),
  'and the workflow fails');

-- Three steps claimed one second apart, s3 first (highest priority), then s1, then s2; after
-- all leases expired, p_limit = 2 rescues the two oldest leases (s3, s1), not the lowest ids.
SELECT tributary_test.set_now('2030-01-02 00:00:00+00') AS t2 \gset
SELECT tributary.create_workflow('rlim', '[
  {"name": "s1", "kind": "k", "queue": "rlim", "priority": 1},
  {"name": "s2", "kind": "k", "queue": "rlim", "priority": 0},
  {"name": "s3", "kind": "k", "queue": "rlim", "priority": 2}
]') AS wf2 \gset
SELECT tributary_test.advance('3 seconds') AS ignored \gset
SELECT tributary_test.claim(:wf2, 's3') AS ignored \gset
SELECT tributary_test.advance('1 second') AS ignored \gset
SELECT tributary_test.claim(:wf2, 's1') AS ignored \gset
SELECT tributary_test.advance('1 second') AS ignored \gset
SELECT tributary_test.claim(:wf2, 's2') AS ignored \gset
SELECT tributary_test.set_now('2030-01-02 00:10:00+00') AS ignored \gset

SELECT throws_ok('SELECT tributary.rescue_expired_steps(0)', 'TB012', 'limit must be at least 1, got 0', 'p_limit 0 is refused');
SELECT is(tributary.rescue_expired_steps(2), 2, 'p_limit 2 rescues two steps');
SELECT results_eq(
  format('SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf2),
  $$VALUES ('s1', 'available'), ('s2', 'running'), ('s3', 'available')$$,
  'the two with the oldest leases were rescued');
SELECT is(tributary.rescue_expired_steps(), 1, 'the next call rescues the rest');

SELECT * FROM finish();
ROLLBACK;
