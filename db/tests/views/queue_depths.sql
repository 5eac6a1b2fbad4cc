-- queue_depths: per queue, steps ready now, available but scheduled for later (delayed or
-- backing off), running, and the age of the oldest ready step.
BEGIN;
SELECT plan(6);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('depths', $$[
  {"name": "r1", "kind": "noop", "queue": "qd"},
  {"name": "r2", "kind": "noop", "queue": "qd"},
  {"name": "r3", "kind": "noop", "queue": "qd"},
  {"name": "later", "kind": "noop", "queue": "qd", "scheduled_at": "2030-01-01 01:00:00+00"},
  {"name": "child", "kind": "noop", "queue": "qd", "depends_on": ["r1"]},
  {"name": "other", "kind": "noop", "queue": "qd-other"}
]$$) AS wf \gset

SELECT results_eq(
  $$SELECT queue, ready, scheduled, running, oldest_ready_age FROM tributary.queue_depths
    WHERE queue IN ('qd', 'qd-other') ORDER BY queue$$,
  $$VALUES ('qd', 3::bigint, 1::bigint, 0::bigint, interval '0'),
           ('qd-other', 1::bigint, 0::bigint, 0::bigint, interval '0')$$,
  'right after creation: 3 ready and 1 scheduled in qd (the pending child is not counted), 1 ready in qd-other');

SELECT tributary_test.advance('10 minutes');
SELECT tributary_test.claim(:wf, 'r1');
SELECT tributary_test.claim(:wf, 'r2') AS r2_attempt \gset
SELECT tributary.fail_step(tributary_test.step_id(:wf, 'r2'), :r2_attempt, '{"message": "retry me"}');
SELECT results_eq(
  $$SELECT ready, scheduled, running, oldest_ready_age FROM tributary.queue_depths WHERE queue = 'qd'$$,
  $$VALUES (1::bigint, 2::bigint, 1::bigint, interval '10 minutes')$$,
  'ten minutes later, r1 running and r2 backing off: 1 ready (waiting 10 minutes), 2 scheduled, 1 running');

SELECT tributary_test.advance('1 hour');
SELECT results_eq(
  $$SELECT ready, scheduled, running, oldest_ready_age FROM tributary.queue_depths WHERE queue = 'qd'$$,
  $$VALUES (3::bigint, 0::bigint, 1::bigint, interval '1 hour 10 minutes')$$,
  'an hour later the delayed and backed-off steps are ready too; the oldest ready step waited 70 minutes');

SELECT tributary.complete_step(tributary_test.step_id(:wf, 'r1'), 1, NULL);
SELECT results_eq(
  $$SELECT ready, running FROM tributary.queue_depths WHERE queue = 'qd'$$,
  $$VALUES (4::bigint, 0::bigint)$$,
  'completing r1 makes its child ready and leaves nothing running');

SELECT tributary_test.drain('qd');
SELECT is((SELECT count(*) FROM tributary.queue_depths WHERE queue = 'qd'), 0::bigint,
  'a queue with no available or running step has no row');
SELECT results_eq(
  $$SELECT queue, ready FROM tributary.queue_depths WHERE queue IN ('qd', 'qd-other')$$,
  $$VALUES ('qd-other', 1::bigint)$$,
  'the other queue is unaffected');

SELECT * FROM finish();
ROLLBACK;
