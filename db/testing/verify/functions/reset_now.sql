-- Verify tributary_test:functions/reset_now
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.reset_now()'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
