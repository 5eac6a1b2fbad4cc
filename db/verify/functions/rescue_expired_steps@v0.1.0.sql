-- Verify tributary:functions/rescue_expired_steps
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.rescue_expired_steps(integer)', 'execute')::int;
ROLLBACK;
