-- Verify tributary_test:functions/complete
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.complete(bigint, text, jsonb)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
