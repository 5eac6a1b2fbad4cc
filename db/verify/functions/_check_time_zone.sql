-- Verify tributary:functions/_check_time_zone
BEGIN;
SELECT tributary._check_time_zone('Europe/Paris');
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_proc
WHERE oid = 'tributary._check_time_zone(text)'::regprocedure;
ROLLBACK;
