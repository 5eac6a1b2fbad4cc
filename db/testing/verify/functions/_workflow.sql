-- Verify tributary_test:functions/_workflow
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test._workflow(bigint)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
