-- Verify tributary:functions/_cancel_downstream
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary._cancel_downstream(bigint, text)', 'execute')::int;
ROLLBACK;
