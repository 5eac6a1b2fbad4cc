-- Verify tributary_test:functions/step_id
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.step_id(bigint, text)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
