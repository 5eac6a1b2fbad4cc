-- Verify tributary:grants/flow_control
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'worker'
  AND pg_catalog.has_function_privilege(r.role_name, 'tributary.hand_back_step(bigint, integer, text, jsonb)', 'execute');
SELECT 1 / (NOT pg_catalog.has_function_privilege('public', 'tributary.pause_queue(text)', 'execute'))::integer;
ROLLBACK;
