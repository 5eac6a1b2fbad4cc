-- Verify tributary:triggers/workflows_resolve_at_commit
BEGIN;
SELECT 1 / count(*) FROM pg_catalog.pg_trigger
WHERE tgrelid = 'tributary.workflows'::regclass AND tgname = '_100_resolve_at_commit'
  AND tgdeferrable AND tginitdeferred;
SELECT 1 / count(*) FROM pg_catalog.pg_trigger
WHERE tgrelid = 'tributary.workflows'::regclass AND tgname = '_050_reset_direct_insert' AND NOT tgisinternal;
-- The reworked trigger function resolves every unresolved workflow at once.
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc AS p
WHERE p.oid = 'tributary.tg_workflows__resolve_at_commit()'::regprocedure
  AND pg_catalog.strpos(p.prosrc, '_resolve_workflows(') > 0;
ROLLBACK;
