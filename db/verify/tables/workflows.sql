-- Verify tributary:tables/workflows
BEGIN;
SELECT id, name, state, metadata, idempotency_key, scheduled_at, created_at, steps_total,
       steps_unfinished, cancelled_at, finalized_at
FROM tributary.workflows
WHERE false;
SELECT 1 / count(*) FROM pg_catalog.pg_indexes
WHERE schemaname = 'tributary' AND indexname = 'workflows_idempotency_key_unique';
ROLLBACK;
