-- Verify tributary:indexes/workflows_parent_step_idx
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_index AS i
WHERE i.indexrelid = 'tributary.workflows_parent_step_idx'::regclass
  AND i.indrelid = 'tributary.workflows'::regclass AND i.indpred IS NOT NULL;
ROLLBACK;
