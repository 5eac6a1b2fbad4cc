-- Verify tributary_test:functions/advance
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.advance(interval)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
