-- Verify tributary:tables/steps_references
BEGIN;
SELECT 1 / (pg_catalog.count(*) = 7)::int FROM pg_catalog.pg_trigger AS t
WHERE t.tgenabled = 'O' AND (t.tgrelid::regclass::text, t.tgname::text) IN (
  ('tributary.workflows', '_900_delete_steps'), ('tributary.steps', '_900_delete_dependencies'),
  ('tributary.workflows', '_900_truncate_steps'), ('tributary.steps', '_900_truncate_dependencies'),
  ('tributary.steps', '_010_guard_keys'), ('tributary.workflows', '_010_guard_keys'),
  ('tributary.step_dependencies', '_010_guard_update'));
SELECT 1 / (pg_catalog.count(*) = 0)::int FROM pg_catalog.pg_constraint
WHERE contype = 'f' AND conrelid IN ('tributary.steps'::regclass, 'tributary.step_dependencies'::regclass);
-- Without the foreign key, the direct-INSERT trigger is what refuses a step of an unknown workflow.
SELECT 1 / (p.prosrc LIKE '%foreign_key_violation%')::int FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary.tg_steps__check_direct_insert()'::regprocedure;
ROLLBACK;
