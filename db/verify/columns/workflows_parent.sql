-- Verify tributary:columns/workflows_parent
BEGIN;
SELECT parent_step_id, parent_workflow_id FROM tributary.workflows WHERE false;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_indexes
WHERE schemaname = 'tributary' AND indexname = 'workflows_parent_idx';
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_indexes
WHERE schemaname = 'tributary' AND indexname = 'workflows_parent_step_idx';
ROLLBACK;
