-- heartbeat extends a running step's lease to now + settings.lease_duration; it returns false,
-- and extends nothing, for a stale attempt, a cancelled or finished step, or past the deadline.
BEGIN;
SELECT plan(13);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset
SELECT tributary.create_workflow('hb', '[
  {"name": "a", "kind": "k", "queue": "hb", "timeout": "5 minutes"},
  {"name": "b", "kind": "k", "queue": "hb"}
]') AS wf \gset
SELECT tributary_test.step_id(:wf, 'a') AS a, tributary_test.step_id(:wf, 'b') AS b \gset
SELECT tributary_test.claim(:wf, 'a') AS ignored \gset

SELECT tributary_test.advance('30 seconds') AS t1 \gset
SELECT is(tributary.heartbeat(:a, 1), true, 'the attempt holding the step gets true');
SELECT is((SELECT lease_expires_at FROM tributary.steps WHERE id = :a), :'t1'::timestamptz + interval '60 seconds',
  'the lease is extended to now + lease_duration');

UPDATE tributary.settings SET lease_duration = '2 minutes';
SELECT tributary_test.advance('30 seconds') AS t2 \gset
SELECT is(tributary.heartbeat(:a, 1), true, 'a later heartbeat succeeds too');
SELECT is((SELECT lease_expires_at FROM tributary.steps WHERE id = :a), :'t2'::timestamptz + interval '2 minutes',
  'the extension follows an updated settings.lease_duration');

SELECT is(tributary.heartbeat(:a, 2), false, 'a stale attempt gets false');
SELECT is((SELECT lease_expires_at FROM tributary.steps WHERE id = :a), :'t2'::timestamptz + interval '2 minutes',
  'and the lease is not extended');

-- The deadline is t0 + 5 minutes.
SELECT tributary_test.set_now(:'t0'::timestamptz + interval '4 minutes 59 seconds') AS t3 \gset
SELECT is(tributary.heartbeat(:a, 1), true, 'just before the deadline the heartbeat succeeds');
SELECT tributary_test.set_now(:'t0'::timestamptz + interval '5 minutes 1 second') AS t4 \gset
SELECT is(tributary.heartbeat(:a, 1), false, 'past the deadline (timeout) the heartbeat returns false');
SELECT results_eq(
  format('SELECT state, lease_expires_at FROM tributary.steps WHERE id = %s', :a),
  format($$VALUES ('running', timestamptz %L + interval '5 minutes')$$, :'t0'),
  'and extends nothing: the last extension stopped at the deadline');

-- A finished step, a pending one and a cancelled one.
SELECT tributary_test.claim(:wf, 'b') AS ignored \gset
SELECT tributary.complete_step(:b, 1) AS ignored \gset
SELECT is(tributary.heartbeat(:b, 1), false, 'a completed step gets false');

SELECT tributary.create_workflow('hbc', '[{"name": "x", "kind": "k", "queue": "hbc"}]') AS wf2 \gset
SELECT tributary_test.step_id(:wf2, 'x') AS x \gset
SELECT tributary_test.claim(:wf2, 'x') AS ignored \gset
SELECT tributary.cancel_workflow(:wf2) AS ignored \gset
SELECT is(tributary.heartbeat(:x, 1), false, 'a step cancelled during the attempt gets false');
SELECT is((SELECT lease_expires_at FROM tributary.steps WHERE id = :x), NULL,
  'the cancelled step gets no lease back');

SELECT throws_ok(
  $$SELECT tributary.heartbeat(-1, 1)$$,
  'TB006', 'step -1 does not exist',
  'an unknown step raises TB006');

SELECT * FROM finish();
ROLLBACK;
