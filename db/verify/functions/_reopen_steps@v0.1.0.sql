-- Verify tributary:functions/_reopen_steps
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._reopen_steps(bigint, bigint[])', 'execute')::int;
ROLLBACK;
