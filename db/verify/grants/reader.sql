-- Verify tributary:grants/reader
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'reader' AND pg_catalog.has_function_privilege(r.role_name, 'tributary.get_workflow(bigint)', 'execute');
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'reader' AND pg_catalog.has_schema_privilege(r.role_name, 'tributary', 'usage');
ROLLBACK;
