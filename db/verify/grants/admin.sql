-- Verify tributary:grants/admin
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'admin' AND pg_catalog.has_function_privilege(r.role_name, 'tributary.prune_finished(interval, integer)', 'execute');
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'admin' AND pg_catalog.has_schema_privilege(r.role_name, 'tributary', 'usage');
ROLLBACK;
