-- Verify tributary:columns/steps_concurrency_key
BEGIN;
SELECT concurrency_key, flow_limited FROM tributary.steps WHERE false;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_constraint
WHERE conrelid = 'tributary.steps'::regclass AND conname = 'steps_concurrency_key_bounded';
SELECT 1 / (pg_catalog.count(*) = 2)::int FROM pg_catalog.pg_indexes
WHERE schemaname = 'tributary' AND indexname IN ('steps_running_queue_idx', 'steps_running_key_idx');
ROLLBACK;
