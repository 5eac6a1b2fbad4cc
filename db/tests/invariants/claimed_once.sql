-- Invariant 1: a step is running for at most one attempt at a time; two claims never return the
-- same step. A running step is not claimable again, not even after its lease expired, until
-- rescue_expired_steps() takes it back; the next claim is a new attempt.
BEGIN;
SELECT plan(10);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('once', $$[
  {"name": "s1", "kind": "noop", "queue": "i1", "priority": 1},
  {"name": "s2", "kind": "noop", "queue": "i1", "priority": 2},
  {"name": "s3", "kind": "noop", "queue": "i1", "priority": 3}
]$$) AS wf \gset

SELECT results_eq($$SELECT task_name, attempt FROM tributary.claim_step('i1', 'w1')$$,
  $$VALUES ('s3', 1)$$, 'the first claim gets the highest priority step');
SELECT results_eq($$SELECT task_name, attempt FROM tributary.claim_step('i1', 'w2')$$,
  $$VALUES ('s2', 1)$$, 'the second claim gets another step, not the running one');
SELECT results_eq($$SELECT task_name, attempt FROM tributary.claim_step('i1', 'w3', 5)$$,
  $$VALUES ('s1', 1)$$, 'a claim of up to 5 steps gets only the one step not yet running');
SELECT is((SELECT count(*) FROM tributary.claim_step('i1', 'w4', 5)), 0::bigint,
  'nothing is left to claim while all three run');
SELECT results_eq(
  format('SELECT task_name, state, attempt, worker_id FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf),
  $$VALUES ('s1', 'running', 1, 'w3'), ('s2', 'running', 1, 'w2'), ('s3', 'running', 1, 'w1')$$,
  'each step is held by exactly the worker that claimed it, at attempt 1');

-- The leases expire (60 seconds by default) but nothing was rescued yet.
SELECT tributary_test.advance('61 seconds');
SELECT is((SELECT count(*) FROM tributary.claim_step('i1', 'w4', 5)), 0::bigint,
  'a running step whose lease expired is not claimable before it is rescued');

SELECT tributary.heartbeat(tributary_test.step_id(:wf, 's1'), 1);
SELECT is(tributary.rescue_expired_steps(), 2, 'rescue takes back the two steps whose lease expired (s1 heartbeated)');
SELECT tributary_test.advance('1 hour');
SELECT results_eq($$SELECT task_name, attempt FROM tributary.claim_step('i1', 'w5', 5)$$,
  $$VALUES ('s3', 2), ('s2', 2)$$,
  'the rescued steps are claimed once more, each as attempt 2');
SELECT is(tributary.heartbeat(tributary_test.step_id(:wf, 's3'), 1), false,
  'the first holder of s3 no longer holds it');
SELECT results_eq(
  format($$SELECT count(*) FILTER (WHERE state = 'running'), count(DISTINCT worker_id), max(attempt)
           FROM tributary.steps WHERE workflow_id = %s$$, :wf),
  $$VALUES (3::bigint, 2::bigint, 2)$$,
  'three running steps, each held once: s1 by w3 at attempt 1, s2 and s3 by w5 at attempt 2');

SELECT * FROM finish();
ROLLBACK;
