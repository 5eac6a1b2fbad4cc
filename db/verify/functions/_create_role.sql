-- Verify tributary:functions/_create_role
BEGIN;
SELECT 1 / (NOT pg_catalog.has_function_privilege('public', 'tributary._create_role(text, text[])', 'execute'))::integer;
ROLLBACK;
