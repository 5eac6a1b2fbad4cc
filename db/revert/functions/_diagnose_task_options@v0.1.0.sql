-- Revert tributary:functions/_diagnose_task_options
BEGIN;
DROP FUNCTION tributary._diagnose_task_options(jsonb);
COMMIT;
