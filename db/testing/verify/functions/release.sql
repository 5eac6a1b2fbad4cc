-- Verify tributary_test:functions/release
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.release(bigint, text)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
