-- The live-workers registry: report_worker_process, forget_worker_process,
-- prune_worker_processes, and the views worker_process_status and unserved_queues.
BEGIN;
SELECT plan(17);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT lives_ok(
  $$SELECT tributary.report_worker_process('w1', 'host-a', 101, ARRAY['default', 'io'], ARRAY['fetch'], '0.1.0')$$,
  'a process reports itself');
UPDATE tributary.settings SET lease_duration = '45 seconds';
SELECT is(tributary.report_worker_process('w1', 'host-a', 101, ARRAY['default', 'io'], ARRAY['fetch'], '0.1.0'),
  interval '45 seconds', 'a report returns the lease the engine grants, for the heartbeat to follow');
UPDATE tributary.settings SET lease_duration = '60 seconds';
SELECT results_eq(
  $$SELECT worker_id, host, pid, queues, kinds, package_version, started_at, last_seen_at, live
    FROM tributary.worker_process_status$$,
  $$VALUES ('w1', 'host-a', 101, ARRAY['default', 'io'], ARRAY['fetch'], '0.1.0',
            '2030-01-01 00:00:00+00'::timestamptz, '2030-01-01 00:00:00+00'::timestamptz, true)$$,
  'its row: host, pid, queues, kinds, version, started and seen now, live');

SELECT tributary_test.advance('30 seconds');
SELECT tributary.report_worker_process('w1', 'host-a', 101, ARRAY['default'], ARRAY['fetch', 'parse'], '0.1.1');
SELECT results_eq(
  $$SELECT queues, kinds, package_version, started_at, last_seen_at FROM tributary.worker_processes$$,
  $$VALUES (ARRAY['default'], ARRAY['fetch', 'parse'], '0.1.1',
            '2030-01-01 00:00:00+00'::timestamptz, '2030-01-01 00:00:30+00'::timestamptz)$$,
  'a heartbeat refreshes queues, kinds, version and last seen, and keeps started_at');

SELECT tributary.report_worker_process('w1', 'host-a', 202, ARRAY['default'], ARRAY['fetch'], '0.1.1');
SELECT is((SELECT started_at FROM tributary.worker_processes WHERE worker_id = 'w1'),
  '2030-01-01 00:00:30+00'::timestamptz, 'the same id with another pid is a new process: started_at resets');

SELECT throws_ok(
  $$SELECT tributary.report_worker_process('w2', NULL, 1, ARRAY['q'], ARRAY['k'], 'v')$$,
  'TB012', 'report_worker_process: every argument is required', 'a NULL argument is refused with TB012');
SELECT throws_ok(
  $$SELECT tributary.report_worker_process('', 'h', 1, ARRAY['q'], ARRAY['k'], 'v')$$,
  '23514', NULL, 'an empty worker id breaks worker_processes_worker_id_length');
SELECT throws_ok(
  $$SELECT tributary.report_worker_process(repeat('x', 201), 'h', 1, ARRAY['q'], ARRAY['k'], 'v')$$,
  '23514', NULL, 'a worker id over 200 characters is refused');

-- unserved_queues: ready steps on a queue nobody live serves.
SELECT tributary.create_workflow('registry', $$[
  {"name": "a", "kind": "fetch", "queue": "default"},
  {"name": "b", "kind": "fetch", "queue": "orphaned"}
]$$);
SELECT results_eq(
  $$SELECT queue, ready FROM tributary.unserved_queues WHERE queue IN ('default', 'orphaned')$$,
  $$VALUES ('orphaned', 1::bigint)$$,
  'a queue with a ready step and no live process is unserved; default has w1');

SELECT tributary_test.advance('61 seconds');  -- past the 60 s lease since w1 last reported
SELECT is((SELECT live FROM tributary.worker_process_status WHERE worker_id = 'w1'), false,
  'a process silent for longer than the lease is not live');
SELECT results_eq(
  $$SELECT queue FROM tributary.unserved_queues WHERE queue IN ('default', 'orphaned') ORDER BY queue$$,
  $$VALUES ('default'), ('orphaned')$$,
  'its queue is unserved once it is not live');

-- prune_worker_processes: stale rows go, fresh ones stay.
SELECT tributary.report_worker_process('w3', 'host-b', 7, ARRAY['orphaned'], ARRAY['fetch'], '0.1.1');
SELECT is(tributary.prune_worker_processes(), 0, 'nothing is older than ten leases yet');
SELECT tributary_test.advance('10 minutes');
SELECT tributary.report_worker_process('w3', 'host-b', 7, ARRAY['orphaned'], ARRAY['fetch'], '0.1.1');
SELECT is(tributary.prune_worker_processes(), 1, 'w1, silent for over ten leases, is pruned');
SELECT results_eq($$SELECT worker_id FROM tributary.worker_processes$$, $$VALUES ('w3')$$, 'w3 stays');
SELECT throws_ok($$SELECT tributary.prune_worker_processes('-1 second')$$, 'TB012', NULL,
  'a negative age is refused');

-- forget_worker_process: a graceful stop.
SELECT is(tributary.forget_worker_process('w3'), true, 'a stopping process removes its row');
SELECT is(tributary.forget_worker_process('w3'), false, 'forgetting it again finds nothing');

SELECT * FROM finish();
ROLLBACK;
