-- Verify tributary:functions/list_workflows
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege(
  'tributary.list_workflows(text, text, timestamptz, text, bigint, integer)', 'execute')::int;
ROLLBACK;
