-- Verify tributary_test:functions/run
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.run(bigint, text, jsonb)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
