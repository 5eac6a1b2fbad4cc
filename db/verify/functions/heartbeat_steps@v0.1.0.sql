-- Verify tributary:functions/heartbeat_steps
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.heartbeat_steps(bigint[], integer[])', 'execute')::int;
ROLLBACK;
