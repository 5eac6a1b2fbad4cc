-- Verify tributary:triggers/workflows_resume_parent
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_trigger
WHERE tgrelid = 'tributary.workflows'::regclass AND tgname = '_900_resume_parent';
ROLLBACK;
