-- The testing kit's fake worker: claim takes the named task through claim_step whatever its
-- queue offers first; complete, fail, release and expire_lease act on the attempt that holds
-- it; run claims and completes; every refusal names the task and says why.
BEGIN;
SELECT plan(46);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS ignored \gset
SELECT tributary.create_workflow('kit', '[
  {"name": "first", "kind": "k", "queue": "kitq", "priority": 9},
  {"name": "wanted", "kind": "k", "queue": "kitq", "max_attempts": 2, "retry_backoff": 0, "args": {"n": 1}},
  {"name": "after", "kind": "k", "queue": "kitq", "depends_on": ["wanted", "first"]},
  {"name": "later", "kind": "k", "queue": "kitq", "scheduled_at": "2030-01-01 01:00:00+00"}
]') AS wf \gset

-- claim ---------------------------------------------------------------------------------------
SELECT is(tributary_test.claim(:wf, 'wanted', 'w1'), 1, 'claim returns the attempt it holds');
SELECT results_eq(
  format($$SELECT state, attempt, worker_id, queue, lease_expires_at FROM tributary.steps WHERE id = %s$$,
         tributary_test.step_id(:wf, 'wanted')),
  $$VALUES ('running', 1, 'w1', 'kitq', timestamptz '2030-01-01 00:01:00+00')$$,
  'the named step is claimed, leased by the engine clock, and stays in its queue');
SELECT is(tributary_test.step_state(:wf, 'first'), 'available',
  'the step its queue would have offered first is left alone');
SELECT results_eq(
  format($$SELECT attempt, worker_id, args, dependency_results, claimed_at FROM tributary_test.claims WHERE step_id = %s$$,
         tributary_test.step_id(:wf, 'wanted')),
  $$VALUES (1, 'w1', '{"n": 1}'::jsonb, '{}'::jsonb, timestamptz '2030-01-01 00:00:00+00')$$,
  'the row claim_step returned is recorded in tributary_test.claims');

SELECT throws_ok(format($$SELECT tributary_test.claim(%s, 'wanted')$$, :wf), 'TB011',
  format('task "wanted" of workflow %s cannot be claimed now: it is running attempt 1 of 2 (worker w1, lease until 2030-01-01 00:01:00+00)', :wf),
  'a running step cannot be claimed again');
SELECT throws_ok(format($$SELECT tributary_test.claim(%s, 'after')$$, :wf), 'TB011',
  format('task "after" of workflow %s cannot be claimed now: it is pending: waiting on "first" (available), "wanted" (running)', :wf),
  'a pending step cannot be claimed: the message names what it waits on');
SELECT throws_ok(format($$SELECT tributary_test.claim(%s, 'later')$$, :wf), 'TB011',
  format('task "later" of workflow %s cannot be claimed now: it is available from 2030-01-01 01:00:00+00 (the engine clock says 2030-01-01 00:00:00+00)', :wf),
  'a step scheduled later cannot be claimed before its time');
SELECT throws_ok(format($$SELECT tributary_test.claim(%s, 'nope')$$, :wf), 'TB006',
  format('workflow %s has no task "nope"', :wf), 'an unknown task is TB006');
SELECT is(tributary_test.error_of(format($$SELECT tributary_test.claim(%s, 'nope')$$, :wf))->>'detail',
  'Its tasks: "after", "first", "later", "wanted".', 'its DETAIL lists the workflow''s tasks');
SELECT throws_ok($$SELECT tributary_test.claim(-1, 'a')$$, 'TB009', 'workflow -1 does not exist',
  'an unknown workflow is TB009');
SELECT is(tributary_test.advance('1 hour'), '2030-01-01 01:00:00+00'::timestamptz, 'time passes');
SELECT is(tributary_test.claim(:wf, 'later'), 1, 'a step is claimable once the clock reaches its time');

-- fail, complete, release, expire_lease --------------------------------------------------------
SELECT is(tributary_test.set_now('2030-01-01 00:00:30+00'), '2030-01-01 00:00:30+00'::timestamptz, 'back in time');
SELECT is(tributary_test.fail(:wf, 'wanted', '{"message": "boom"}'), 'available',
  'fail reports the state fail_step left: retried while attempts remain');
SELECT is((SELECT errors->0->>'message' FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'wanted')), 'boom',
  'the error is in the step''s history');
SELECT is(tributary_test.claim(:wf, 'wanted'), 2, 'the retry is attempt 2');
SELECT is(tributary_test.complete(:wf, 'wanted', '{"rows": 3}'), 'completed', 'complete reports completed');
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'wanted')), '{"rows": 3}'::jsonb,
  'complete stores the result');
SELECT throws_ok(format($$SELECT tributary_test.complete(%s, 'wanted')$$, :wf), 'TB011',
  format('cannot complete task "wanted" of workflow %s: it is completed by attempt 2 of 2, not running', :wf),
  'complete refuses a step that is not running');
SELECT throws_ok(format($$SELECT tributary_test.fail(%s, 'first')$$, :wf), 'TB011',
  format('cannot fail task "first" of workflow %s: it is available, not running', :wf),
  'fail refuses a step that is not running');
SELECT throws_ok(format($$SELECT tributary_test.release(%s, 'first')$$, :wf), 'TB011',
  format('cannot release task "first" of workflow %s: it is available, not running', :wf),
  'release refuses a step that is not running');
SELECT throws_ok(format($$SELECT tributary_test.expire_lease(%s, 'first')$$, :wf), 'TB011',
  format('cannot expire the lease of task "first" of workflow %s: it is available, not running', :wf),
  'expire_lease refuses a step that is not running');
SELECT throws_ok(format($$SELECT tributary_test.complete(%s, 'nope')$$, :wf), 'TB006',
  format('workflow %s has no task "nope"', :wf), 'complete: unknown task is TB006');
SELECT throws_ok($$SELECT tributary_test.fail(-1, 'a')$$, 'TB009', 'workflow -1 does not exist',
  'fail: unknown workflow is TB009');

SELECT is(tributary_test.claim(:wf, 'first'), 1, 'claim first');
SELECT is(tributary_test.release(:wf, 'first'), 'available', 'release gives the step back, available at once');
SELECT results_eq(
  format($$SELECT attempt, max_attempts, errors->-1->>'reason' FROM tributary.steps WHERE id = %s$$,
         tributary_test.step_id(:wf, 'first')),
  $$VALUES (1, 6, 'released')$$, 'through release_steps: the attempt is not counted');

SELECT is(tributary_test.claim(:wf, 'first', 'w2'), 2, 'claimed again');
SELECT is(tributary_test.expire_lease(:wf, 'first'), '2030-01-01 00:01:30.000001+00'::timestamptz,
  'expire_lease moves the clock just past the lease and returns the new time');
SELECT is(tributary.rescue_expired_steps(), 1, 'rescue_expired_steps then takes it back');
SELECT is(tributary_test.step_state(:wf, 'first'), 'available', 'the expired attempt lost the step');
SELECT throws_ok(
  format($$SELECT tributary.complete_step(%s, 2, '{}')$$, tributary_test.step_id(:wf, 'first')), 'TB007', NULL,
  'the expired attempt can no longer complete it');
SELECT tributary_test.advance('1 minute') AS ignored \gset
SELECT is(tributary_test.claim(:wf, 'first'), 3, 'claim first again, past its backoff');
SELECT tributary_test.set_now('2030-01-01 00:05:00+00') AS ignored \gset
SELECT is(tributary_test.expire_lease(:wf, 'first'), '2030-01-01 00:05:00+00'::timestamptz,
  'expire_lease never moves the clock back (the lease ended already)');

-- run, and the results a claim delivers ---------------------------------------------------------
SELECT is(tributary_test.fail(:wf, 'first', '"plain string"', false), 'discarded',
  'fail with p_retryable false discards the step');
SELECT is(tributary_test.step_state(:wf, 'after'), 'cancelled', 'and its dependents are cancelled');
SELECT is(tributary_test.workflow_state(:wf), 'running', 'the workflow waits for its running step');
SELECT throws_ok($$SELECT tributary_test.workflow_state(-1)$$, 'TB009', 'workflow -1 does not exist',
  'workflow_state: unknown workflow is TB009');
SELECT throws_ok($$SELECT tributary_test.step_state(-1, 'a')$$, 'TB009', 'workflow -1 does not exist',
  'step_state: unknown workflow is TB009');
SELECT throws_ok(format($$SELECT tributary_test.step_id(%s, 'nope')$$, :wf), 'TB006',
  format('workflow %s has no task "nope"', :wf), 'step_id: unknown task is TB006');

SELECT tributary.create_workflow('pair', '[
  {"name": "a", "kind": "k", "queue": "pairq"},
  {"name": "b", "kind": "k", "queue": "pairq", "depends_on": ["a"]}
]') AS pair \gset
SELECT is(tributary_test.run(:pair, 'a', '{"v": 1}'), 1, 'run claims and completes, returning the attempt');
SELECT is(tributary_test.run(:pair, 'b'), 1, 'run again for the dependent');
SELECT is((SELECT dependency_results FROM tributary_test.claims WHERE step_id = tributary_test.step_id(:pair, 'b')),
  '{"a": {"v": 1}}'::jsonb, 'the claim of b received a''s result');
SELECT is((SELECT result FROM tributary.steps WHERE id = tributary_test.step_id(:pair, 'b')), '{}'::jsonb,
  'run completes with {} by default');
SELECT is(tributary_test.workflow_state(:pair), 'completed', 'and the workflow completes');
SELECT throws_ok(format($$SELECT tributary_test.run(%s, 'a')$$, :pair), 'TB011',
  format('task "a" of workflow %s cannot be claimed now: it is completed by attempt 1 of 5', :pair),
  'run refuses a finished step');

SELECT * FROM finish();
ROLLBACK;
