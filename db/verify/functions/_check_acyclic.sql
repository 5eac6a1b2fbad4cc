-- Verify tributary:functions/_check_acyclic
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._check_acyclic(bigint)', 'execute')::int;
ROLLBACK;
