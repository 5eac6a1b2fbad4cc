-- Verify tributary:grants/submitter
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'submitter' AND pg_catalog.has_function_privilege(r.role_name, 'tributary.create_workflow(text, jsonb, timestamptz, jsonb, text)', 'execute');
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'submitter' AND pg_catalog.has_schema_privilege(r.role_name, 'tributary', 'usage');
ROLLBACK;
