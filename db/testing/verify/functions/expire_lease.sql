-- Verify tributary_test:functions/expire_lease
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.expire_lease(bigint, text)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
