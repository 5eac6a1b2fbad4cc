-- Revert tributary:functions/forget_worker_process
BEGIN;
DROP FUNCTION tributary.forget_worker_process(text);
COMMIT;
