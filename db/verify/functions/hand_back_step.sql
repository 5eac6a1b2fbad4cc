-- Verify tributary:functions/hand_back_step
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.hand_back_step(bigint, integer, text, jsonb)', 'execute')::int;
ROLLBACK;
