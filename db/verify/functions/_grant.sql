-- Verify tributary:functions/_grant
BEGIN;
SELECT 1 / (NOT pg_catalog.has_function_privilege('public', 'tributary._grant(text, text, boolean)', 'execute'))::integer;
ROLLBACK;
