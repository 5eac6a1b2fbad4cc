-- Verify tributary:functions/complete_step
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.complete_step(bigint, integer, jsonb)', 'execute')::int;
ROLLBACK;
