-- Revert tributary:views/worker_process_status
BEGIN;
DROP VIEW tributary.worker_process_status;
COMMIT;
