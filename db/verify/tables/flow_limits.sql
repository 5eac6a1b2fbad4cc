-- Verify tributary:tables/flow_limits
BEGIN;
SELECT scope, name, max_running, rate_max_starts, rate_period, tokens, tokens_at, updated_at
FROM tributary.flow_limits WHERE false;
SELECT 1 / (pg_catalog.count(*) = 8)::int FROM pg_catalog.pg_constraint
WHERE conrelid = 'tributary.flow_limits'::regclass AND contype IN ('c', 'p') AND conname LIKE 'flow\_limits\_%';
ROLLBACK;
