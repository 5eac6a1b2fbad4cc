-- Revert tributary:functions/prune_worker_processes
BEGIN;
DROP FUNCTION tributary.prune_worker_processes(interval);
COMMIT;
