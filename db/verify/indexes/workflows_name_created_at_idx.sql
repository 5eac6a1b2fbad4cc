-- Verify tributary:indexes/workflows_name_created_at_idx
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_indexes
 WHERE schemaname = 'tributary' AND tablename = 'workflows' AND indexname = 'workflows_name_created_at_idx'
   AND indexdef LIKE '%(name text_pattern_ops, created_at, id)';
ROLLBACK;
