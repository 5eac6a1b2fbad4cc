-- Verify tributary:functions/_fail_attempt
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._fail_attempt(tributary.steps, jsonb, boolean)', 'execute')::int;
ROLLBACK;
