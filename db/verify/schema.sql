-- Verify tributary:schema
BEGIN;
SELECT pg_catalog.has_schema_privilege('tributary', 'usage');
ROLLBACK;
