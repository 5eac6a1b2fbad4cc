-- Verify tributary:grants/flow_limits
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'admin'
  AND pg_catalog.has_function_privilege(r.role_name, 'tributary.set_concurrency_limit(text, text, integer)', 'execute');
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'worker'
  AND pg_catalog.has_function_privilege(r.role_name, 'tributary.claim_retry_in(text)', 'execute');
SELECT 1 / (NOT pg_catalog.has_function_privilege('public', 'tributary.set_rate_limit(text, text, integer, interval)', 'execute'))::integer;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary.set_concurrency_limit(text, text, integer)'::regprocedure AND p.prosecdef;
ROLLBACK;
