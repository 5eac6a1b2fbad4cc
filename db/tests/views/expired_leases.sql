-- expired_leases: running steps whose lease lapsed and that no rescue took back yet, with how long
-- the lease has been expired; nothing else (a step whose lease is still current, a rescued one).
BEGIN;
SELECT plan(4);

SELECT tributary_test.set_now('2030-02-01 00:00:00+00');
SELECT tributary.create_workflow('leases', $$[
  {"name": "lost", "kind": "noop", "queue": "el"},
  {"name": "held", "kind": "noop", "queue": "el"},
  {"name": "idle", "kind": "noop", "queue": "el"}
]$$) AS wf \gset
SELECT tributary_test.claim(:wf, 'lost', 'el-dead-worker');
SELECT tributary_test.advance('30 seconds');
SELECT tributary_test.claim(:wf, 'held', 'el-live-worker');

SELECT is_empty($$SELECT * FROM tributary.expired_leases WHERE queue = 'el'$$, 'no lease has lapsed yet');

SELECT tributary_test.advance((SELECT lease_duration FROM tributary.settings) - interval '20 seconds');
SELECT results_eq(
  $$SELECT task_name, kind, queue, worker_id, attempt, expired_for FROM tributary.expired_leases WHERE queue = 'el'$$,
  $$VALUES ('lost', 'noop', 'el', 'el-dead-worker', 1, interval '10 seconds')$$,
  'the step claimed first lapsed 10 seconds ago; the other still holds its lease');
SELECT is((SELECT step_id FROM tributary.expired_leases WHERE queue = 'el'), tributary_test.step_id(:wf, 'lost'),
  'step_id names the step');

SELECT tributary.rescue_expired_steps();
SELECT is_empty($$SELECT * FROM tributary.expired_leases WHERE queue = 'el'$$, 'a rescued step is no longer listed');

SELECT * FROM finish();
ROLLBACK;
