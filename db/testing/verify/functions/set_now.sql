-- Verify tributary_test:functions/set_now
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.set_now(timestamptz)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
