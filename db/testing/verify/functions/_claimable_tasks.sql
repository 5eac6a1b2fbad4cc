-- Verify tributary_test:functions/_claimable_tasks
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test._claimable_tasks(bigint)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
