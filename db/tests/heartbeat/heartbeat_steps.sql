-- heartbeat_steps extends every lease still held (within its deadline) and returns those ids
-- only; ids and attempts of different lengths raise TB012.
BEGIN;
SELECT plan(6);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset
SELECT tributary.create_workflow('hbs', '[
  {"name": "held", "kind": "k", "queue": "hbs"},
  {"name": "done", "kind": "k", "queue": "hbs"},
  {"name": "timed_out", "kind": "k", "queue": "hbs", "timeout": "10 seconds"},
  {"name": "other_attempt", "kind": "k", "queue": "hbs"},
  {"name": "held_too", "kind": "k", "queue": "hbs", "timeout": "1 hour"}
]') AS wf \gset
SELECT tributary.create_workflow('hbs_c', '[{"name": "cancelled", "kind": "k", "queue": "hbs_c"}]') AS wf_c \gset
SELECT count(*) AS n FROM tributary.claim_step('hbs', 'w', 10) \gset
SELECT count(*) AS n FROM tributary.claim_step('hbs_c', 'w', 10) \gset
SELECT tributary.cancel_workflow(:wf_c) AS ignored \gset
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'done'), 1) AS ignored \gset
SELECT tributary_test.step_id(:wf, 'held') AS held, tributary_test.step_id(:wf, 'done') AS done,
       tributary_test.step_id(:wf, 'timed_out') AS timed_out,
       tributary_test.step_id(:wf, 'other_attempt') AS other_attempt,
       tributary_test.step_id(:wf, 'held_too') AS held_too,
       tributary_test.step_id(:wf_c, 'cancelled') AS cancelled \gset

SELECT tributary_test.advance('20 seconds') AS t1 \gset
SELECT set_eq(
  format('SELECT * FROM tributary.heartbeat_steps(ARRAY[%s, %s, %s, %s, %s, %s, -1]::bigint[], ARRAY[1, 1, 1, 2, 1, 1, 1])',
         :held, :done, :timed_out, :other_attempt, :held_too, :cancelled),
  format('VALUES (%s::bigint), (%s)', :held, :held_too),
  'only the steps still held within their deadline are returned (no error for the others, nor for an unknown id)');

SELECT results_eq(
  format('SELECT task_name, lease_expires_at FROM tributary.steps WHERE workflow_id = %s AND state = %L ORDER BY task_name', :wf, 'running'),
  format($$VALUES ('held', timestamptz %L + interval '60 seconds'), ('held_too', timestamptz %L + interval '60 seconds'),
                  ('other_attempt', timestamptz %L + interval '60 seconds'), ('timed_out', timestamptz %L + interval '10 seconds')$$,
         :'t1', :'t1', :'t0', :'t0'),
  'held leases move to now + lease_duration; the stale and timed-out ones keep their old lease');
SELECT results_eq(
  format('SELECT state, lease_expires_at FROM tributary.steps WHERE id IN (%s, %s) ORDER BY id', :done, :cancelled),
  $$VALUES ('completed', NULL::timestamptz), ('cancelled', NULL::timestamptz)$$,
  'finished steps get no lease');

SELECT is_empty($$SELECT * FROM tributary.heartbeat_steps('{}', '{}')$$, 'an empty batch returns nothing');

SELECT throws_ok(
  format('SELECT * FROM tributary.heartbeat_steps(ARRAY[%s, %s]::bigint[], ARRAY[1])', :held, :held_too),
  'TB012', 'step ids and attempts must have the same length',
  'ids and attempts of different lengths raise TB012');
SELECT throws_ok(
  format('SELECT * FROM tributary.heartbeat_steps(ARRAY[%s]::bigint[], NULL)', :held),
  'TB012', 'step ids and attempts must have the same length',
  'missing attempts raise TB012');

SELECT * FROM finish();
ROLLBACK;
