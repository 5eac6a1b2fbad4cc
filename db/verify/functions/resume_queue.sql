-- Verify tributary:functions/resume_queue
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.resume_queue(text)', 'execute')::int;
ROLLBACK;
