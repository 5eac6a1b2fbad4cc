-- Verify tributary:grants/waits
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'worker'
  AND pg_catalog.has_function_privilege(r.role_name, 'tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb)', 'execute')
  AND pg_catalog.has_function_privilege(r.role_name, 'tributary.wake_due_steps(integer)', 'execute');
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'submitter'
  AND pg_catalog.has_function_privilege(r.role_name, 'tributary.send_event(text, jsonb, bigint, text, interval)', 'execute');
SELECT 1 / (NOT pg_catalog.has_function_privilege('public', 'tributary.send_event(text, jsonb, bigint, text, interval)', 'execute'))::integer;
ROLLBACK;
