-- What a claim writes to the step and returns: running, attempt + 1, worker, attempted_at,
-- a lease of settings.lease_duration and a deadline of now + timeout (NULL without timeout).
BEGIN;
SELECT plan(10);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset

SELECT tributary.create_workflow('row', '[
  {"name": "a", "kind": "resize", "queue": "row", "priority": 3, "max_attempts": 4,
   "timeout": "90 seconds", "retry_backoff": 0, "args": {"x": 1}},
  {"name": "b", "kind": "resize", "queue": "row"}
]') AS wf \gset
SELECT tributary_test.step_id(:wf, 'a') AS a, tributary_test.step_id(:wf, 'b') AS b \gset

CREATE TEMP TABLE claimed ON COMMIT DROP AS
SELECT * FROM tributary.claim_step('row', 'worker-7', 1);

SELECT results_eq(
  $$SELECT step_id, workflow_id, task_name, kind, args, attempt, max_attempts, queue, priority,
           timeout, deadline_at, lease_expires_at, dependency_results FROM claimed$$,
  format($$VALUES (%s::bigint, %s::bigint, 'a', 'resize', '{"x": 1}'::jsonb, 1, 4, 'row', 3,
                   interval '90 seconds', timestamptz %L + interval '90 seconds',
                   timestamptz %L + interval '60 seconds', '{}'::jsonb)$$, :a, :wf, :'t0', :'t0'),
  'the claim returns the step with its args, new attempt, options, deadline and lease');

SELECT results_eq(
  format('SELECT state, attempt, worker_id, attempted_at, lease_expires_at, deadline_at FROM tributary.steps WHERE id = %s', :a),
  format($$VALUES ('running', 1, 'worker-7', timestamptz %L, timestamptz %L + interval '60 seconds',
                   timestamptz %L + interval '90 seconds')$$, :'t0', :'t0', :'t0'),
  'the claimed step is running at attempt 1 for the worker, leased for settings.lease_duration, with deadline now + timeout');

-- Lease length comes from settings at claim time; no timeout means no deadline.
UPDATE tributary.settings SET lease_duration = '5 minutes';
SELECT tributary_test.advance('10 seconds') AS t1 \gset
CREATE TEMP TABLE claimed_b ON COMMIT DROP AS
SELECT * FROM tributary.claim_step('row', 'worker-8', 1);

SELECT is((SELECT step_id FROM claimed_b), :b::bigint, 'the next claim takes b');
SELECT is((SELECT lease_expires_at FROM claimed_b), :'t1'::timestamptz + interval '5 minutes',
  'the lease follows an updated settings.lease_duration');
SELECT results_eq(
  format('SELECT timeout, deadline_at, lease_expires_at, attempted_at FROM tributary.steps WHERE id = %s', :b),
  format($$VALUES (NULL::interval, NULL::timestamptz, timestamptz %L + interval '5 minutes', timestamptz %L)$$, :'t1', :'t1'),
  'a step without timeout has no deadline');
SELECT is((SELECT deadline_at FROM claimed_b), NULL, 'the returned deadline_at is NULL without a timeout');

-- A retried step is claimed again with the next attempt number.
SELECT tributary.fail_step(:a, 1, '"boom"') AS ignored \gset
SELECT tributary_test.advance('1 second') AS t2 \gset
CREATE TEMP TABLE reclaimed ON COMMIT DROP AS
SELECT * FROM tributary.claim_step('row', 'worker-9', 1);

SELECT results_eq(
  $$SELECT step_id, attempt, lease_expires_at, deadline_at FROM reclaimed$$,
  format($$VALUES (%s::bigint, 2, timestamptz %L + interval '90 seconds', timestamptz %L + interval '90 seconds')$$,
         :a, :'t2', :'t2'),
  'the retried step is claimed at attempt 2 with a fresh deadline, and its lease never outlives the deadline');
SELECT results_eq(
  format('SELECT state, attempt, worker_id, attempted_at FROM tributary.steps WHERE id = %s', :a),
  format($$VALUES ('running', 2, 'worker-9', timestamptz %L)$$, :'t2'),
  'the row records the new attempt, worker and attempted_at');

SELECT is_empty($$SELECT * FROM tributary.claim_step('row', 'worker-10', 5)$$,
  'running steps are not returned by a later claim');
SELECT is((SELECT worker_id FROM tributary.steps WHERE id = :a), 'worker-9',
  'the later claim did not touch the held step');

SELECT * FROM finish();
ROLLBACK;
