-- Verify tributary:views/worker_process_status
BEGIN;
SELECT worker_id, host, pid, queues, kinds, package_version, started_at, last_seen_at, live
FROM tributary.worker_process_status WHERE false;
ROLLBACK;
