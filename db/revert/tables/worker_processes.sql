-- Revert tributary:tables/worker_processes
BEGIN;
DROP TABLE tributary.worker_processes;
COMMIT;
