-- fail_step with attempts left makes the step available again at now + backoff: base
-- retry_backoff * 2^(attempt-1), capped by settings.retry_backoff_cap, jittered to 50-100%;
-- each failure is appended to the step's error history.
BEGIN;
SELECT plan(17);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset
SELECT tributary.create_workflow('retry', '[
  {"name": "a", "kind": "k", "queue": "rq", "max_attempts": 5, "retry_backoff": "10 seconds"}
]') AS wf \gset
SELECT tributary_test.step_id(:wf, 'a') AS a \gset
SELECT tributary_test.claim(:wf, 'a', 'w-1') AS ignored \gset

SELECT is(tributary.fail_step(:a, 1, '{"message": "boom", "detail": "disk full"}'), 'available',
  'a retryable failure with attempts left returns available');
SELECT results_eq(
  format('SELECT state, attempt, lease_expires_at, deadline_at, finalized_at FROM tributary.steps WHERE id = %s', :a),
  $$VALUES ('available', 1, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz)$$,
  'the step is available again, lease and deadline cleared, not finalized');
SELECT ok(
  (SELECT scheduled_at BETWEEN :'t0'::timestamptz + interval '5 seconds' AND :'t0'::timestamptz + interval '10 seconds'
   FROM tributary.steps WHERE id = :a),
  'after attempt 1 it is scheduled between now + 0.5 * retry_backoff and now + retry_backoff');
SELECT is(
  (SELECT errors FROM tributary.steps WHERE id = :a),
  jsonb_build_array(jsonb_build_object('attempt', 1, 'at', :'t0'::timestamptz, 'worker_id', 'w-1',
                                       'retryable', true, 'message', 'boom', 'detail', 'disk full')),
  'the error is appended with attempt, at, worker_id and the caller''s message and detail');

-- Not claimable before its scheduled_at, claimable at it.
SELECT scheduled_at AS retry_at FROM tributary.steps WHERE id = :a \gset
SELECT tributary_test.set_now(:'retry_at'::timestamptz - interval '1 millisecond') AS ignored \gset
SELECT is_empty($$SELECT * FROM tributary.claim_step('rq', 'w-2')$$,
  'the retried step is not claimable before its scheduled_at');
SELECT tributary_test.set_now(:'retry_at') AS t1 \gset
SELECT results_eq($$SELECT task_name, attempt FROM tributary.claim_step('rq', 'w-2')$$,
  $$VALUES ('a', 2)$$, 'it is claimable at its scheduled_at, as attempt 2');

-- A plain JSON string error becomes the message.
SELECT is(tributary.fail_step(:a, 2, '"kaboom"'), 'available', 'the second failure retries too');
SELECT is(
  (SELECT errors FROM tributary.steps WHERE id = :a),
  jsonb_build_array(
    jsonb_build_object('attempt', 1, 'at', :'t0'::timestamptz, 'worker_id', 'w-1', 'retryable', true,
                       'message', 'boom', 'detail', 'disk full'),
    jsonb_build_object('attempt', 2, 'at', :'t1'::timestamptz, 'worker_id', 'w-2', 'retryable', true,
                       'message', 'kaboom')),
  'a plain JSON string error is recorded as the message; the history keeps both entries in order');
SELECT ok(
  (SELECT scheduled_at BETWEEN :'t1'::timestamptz + interval '10 seconds' AND :'t1'::timestamptz + interval '20 seconds'
   FROM tributary.steps WHERE id = :a),
  'after attempt 2 the backoff doubles: between now + 10s and now + 20s');

-- A NULL error still leaves a readable entry.
SELECT scheduled_at AS retry_at2 FROM tributary.steps WHERE id = :a \gset
SELECT tributary_test.set_now(:'retry_at2') AS t2 \gset
SELECT tributary_test.claim(:wf, 'a', 'w-3') AS ignored \gset
SELECT tributary.fail_step(:a, 3, NULL) AS ignored \gset
SELECT is((SELECT errors->2 FROM tributary.steps WHERE id = :a),
  jsonb_build_object('attempt', 3, 'at', :'t2'::timestamptz, 'worker_id', 'w-3', 'retryable', true, 'message', 'unknown error'),
  'a NULL error is recorded as "unknown error"');

-- Many steps failing together: every delay within [0.5, 1] * backoff, and jittered.
SELECT tributary_test.set_now('2030-02-01 00:00:00+00') AS t3 \gset
SELECT tributary.create_workflow('bulk', jsonb_agg(jsonb_build_object(
         'name', 'n' || i, 'kind', 'k', 'queue', 'bulk', 'max_attempts', 10, 'retry_backoff', 8)))
       AS wf_bulk FROM generate_series(1, 40) AS i \gset
SELECT count(*) AS claimed FROM tributary.claim_step('bulk', 'w', 40) \gset
SELECT count(tributary.fail_step(id, 1, '"x"')) AS failed FROM tributary.steps WHERE workflow_id = :wf_bulk \gset
SELECT results_eq(
  format($$SELECT count(*)::integer, count(*) FILTER (WHERE scheduled_at BETWEEN timestamptz %L + interval '4 seconds'
                                                                      AND timestamptz %L + interval '8 seconds')::integer
           FROM tributary.steps WHERE workflow_id = %s AND state = 'available'$$, :'t3', :'t3', :wf_bulk),
  $$VALUES (40, 40)$$,
  'after attempt 1, all 40 retries are scheduled within [0.5, 1] * retry_backoff');
SELECT cmp_ok(
  (SELECT count(DISTINCT scheduled_at)::integer FROM tributary.steps WHERE workflow_id = :wf_bulk), '>', 1,
  'the delays are jittered (steps that failed together do not all retry together)');

-- Attempt 3 of base 8s would wait 32s; the cap (settings.retry_backoff_cap) bounds it to 12s.
UPDATE tributary.settings SET retry_backoff_cap = '12 seconds';
SELECT tributary_test.set_now('2030-02-01 00:01:00+00') AS t4 \gset
SELECT count(*) AS claimed FROM tributary.claim_step('bulk', 'w', 40) \gset
SELECT count(tributary.fail_step(id, 2, '"x"')) AS failed FROM tributary.steps WHERE workflow_id = :wf_bulk \gset
SELECT results_eq(
  format($$SELECT count(*)::integer, count(*) FILTER (WHERE scheduled_at BETWEEN timestamptz %L + interval '6 seconds'
                                                                      AND timestamptz %L + interval '12 seconds')::integer
           FROM tributary.steps WHERE workflow_id = %s AND state = 'available' AND attempt = 2$$, :'t4', :'t4', :wf_bulk),
  $$VALUES (40, 40)$$,
  'after attempt 2 (16s uncapped) the 12s cap applies: delays within [6s, 12s]');
SELECT tributary_test.set_now('2030-02-01 00:02:00+00') AS t5 \gset
SELECT count(*) AS claimed FROM tributary.claim_step('bulk', 'w', 40) \gset
SELECT count(tributary.fail_step(id, 3, '"x"')) AS failed FROM tributary.steps WHERE workflow_id = :wf_bulk \gset
SELECT results_eq(
  format($$SELECT count(*)::integer, count(*) FILTER (WHERE scheduled_at BETWEEN timestamptz %L + interval '6 seconds'
                                                                      AND timestamptz %L + interval '12 seconds')::integer
           FROM tributary.steps WHERE workflow_id = %s AND state = 'available' AND attempt = 3$$, :'t5', :'t5', :wf_bulk),
  $$VALUES (40, 40)$$,
  'after attempt 3 (32s uncapped) the delays stay within [0.5, 1] * cap');
SELECT is(
  (SELECT count(*)::integer FROM tributary.steps WHERE workflow_id = :wf_bulk AND jsonb_array_length(errors) = 3),
  40, 'each bulk step recorded its three failures');
SELECT is(tributary_test.workflow_state(:wf_bulk), 'running', 'retries keep the workflow running');

-- An error object carrying "attempt", "at", "worker_id" or "retryable" cannot overwrite what
-- the engine recorded: the engine's fields win.
SELECT tributary.create_workflow('forge', '[{"name": "f", "kind": "k", "queue": "forge"}]') AS wf_forge \gset
SELECT tributary_test.claim(:wf_forge, 'f', 'w-x') AS ignored \gset
SELECT tributary.fail_step(tributary_test.step_id(:wf_forge, 'f'), 1,
  '{"message": "m", "attempt": 99, "worker_id": "forged", "retryable": false, "at": "yesterday"}') AS ignored \gset
SELECT is(
  (SELECT (errors->0) - 'message' FROM tributary.steps WHERE id = tributary_test.step_id(:wf_forge, 'f')),
  jsonb_build_object('attempt', 1, 'at', tributary.now(), 'worker_id', 'w-x', 'retryable', true),
  'an error object cannot overwrite the engine-recorded attempt, at, worker_id and retryable');

SELECT * FROM finish();
ROLLBACK;
