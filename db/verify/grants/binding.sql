-- Verify tributary:grants/binding
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'submitter'
  AND pg_catalog.has_function_privilege(r.role_name, 'tributary.reserve_workflow_ids(integer)', 'execute');
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'worker'
  AND pg_catalog.has_function_privilege(r.role_name, 'tributary.claim_steps(text, text, integer)', 'execute');
SELECT 1 / (NOT pg_catalog.has_function_privilege('public', 'tributary.claim_steps(text, text, integer)', 'execute'))::integer;
ROLLBACK;
