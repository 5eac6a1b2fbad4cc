-- Verify tributary:views/flow_limit_status
BEGIN;
SELECT scope, name, max_running, running, rate_max_starts, rate_period, tokens, updated_at
FROM tributary.flow_limit_status WHERE false;
SELECT 1 / pg_catalog.count(*)::integer FROM tributary.roles AS r
WHERE r.purpose = 'reader' AND pg_catalog.has_table_privilege(r.role_name, 'tributary.flow_limit_status', 'select');
ROLLBACK;
