-- Verify tributary:functions/heartbeat
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.heartbeat(bigint, integer)', 'execute')::int;
ROLLBACK;
