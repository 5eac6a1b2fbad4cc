-- Verify tributary:functions/resume_schedule
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.resume_schedule(text)', 'execute')::int;
ROLLBACK;
