-- Verify tributary:functions/_check_attempt
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._check_attempt(bigint, integer)', 'execute')::int;
ROLLBACK;
