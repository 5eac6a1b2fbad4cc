-- Verify tributary:tables/steps_references
BEGIN;
SELECT 1 / (pg_catalog.count(*) = 3)::int FROM pg_catalog.pg_trigger
WHERE tgname IN ('_900_delete_steps', '_900_delete_dependencies', '_900_truncate_steps') AND tgenabled = 'O'
  AND tgrelid IN ('tributary.workflows'::regclass, 'tributary.steps'::regclass);
SELECT 1 / (pg_catalog.count(*) = 0)::int FROM pg_catalog.pg_constraint
WHERE contype = 'f' AND conrelid IN ('tributary.steps'::regclass, 'tributary.step_dependencies'::regclass);
ROLLBACK;
