-- Revert tributary:functions/report_worker_process
BEGIN;
DROP FUNCTION tributary.report_worker_process(text, text, integer, text[], text[], text);
COMMIT;
