-- Verify tributary:tables/step_dependencies
BEGIN;
SELECT step_id, depends_on_step_id FROM tributary.step_dependencies WHERE false;
SELECT 1 / count(*) FROM pg_catalog.pg_indexes
WHERE schemaname = 'tributary' AND indexname = 'step_dependencies_depends_on_idx';
ROLLBACK;
