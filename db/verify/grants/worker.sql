-- Verify tributary:grants/worker
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'worker' AND pg_catalog.has_function_privilege(r.role_name, 'tributary.claim_step(text, text, integer)', 'execute');
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'worker' AND pg_catalog.has_schema_privilege(r.role_name, 'tributary', 'usage');
ROLLBACK;
