-- Verify tributary:tables/worker_processes
BEGIN;
SELECT worker_id, host, pid, queues, kinds, package_version, started_at, last_seen_at
FROM tributary.worker_processes WHERE false;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_constraint
WHERE conname = 'worker_processes_worker_id_length' AND conrelid = 'tributary.worker_processes'::regclass;
ROLLBACK;
