-- Verify tributary:triggers/workflows_resolve_at_commit
BEGIN;
SELECT 1 / count(*) FROM pg_catalog.pg_trigger
WHERE tgrelid = 'tributary.workflows'::regclass AND tgname = '_100_resolve_at_commit'
  AND tgdeferrable AND tginitdeferred;
SELECT 1 / count(*) FROM pg_catalog.pg_trigger
WHERE tgrelid = 'tributary.workflows'::regclass AND tgname = '_050_reset_direct_insert' AND NOT tgisinternal;
ROLLBACK;
