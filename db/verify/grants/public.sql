-- Verify tributary:grants/public
BEGIN;
SELECT 1 / (pg_catalog.count(*) = 0)::integer FROM pg_catalog.pg_proc AS p
WHERE p.pronamespace = 'tributary'::regnamespace
  AND pg_catalog.has_function_privilege('public', p.oid, 'execute');
ROLLBACK;
