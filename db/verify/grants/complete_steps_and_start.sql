-- Verify tributary:grants/complete_steps_and_start
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'worker'
  AND pg_catalog.has_function_privilege(r.role_name, 'tributary.complete_steps_and_start(bigint[], integer[], jsonb[], jsonb[], text, text[], integer[])', 'execute');
SELECT 1 / (NOT pg_catalog.has_function_privilege('public', 'tributary.complete_steps_and_start(bigint[], integer[], jsonb[], jsonb[], text, text[], integer[])', 'execute'))::integer;
ROLLBACK;
