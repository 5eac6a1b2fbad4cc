-- Verify tributary:tables/workflows_limits
BEGIN;
SELECT 1 / (pg_catalog.count(*) = 3)::integer FROM pg_catalog.pg_constraint
WHERE conrelid = 'tributary.workflows'::regclass AND convalidated
  AND conname IN ('workflows_name_length', 'workflows_idempotency_key_length', 'workflows_scheduled_at_finite');
ROLLBACK;
