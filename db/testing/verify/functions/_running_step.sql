-- Verify tributary_test:functions/_running_step
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test._running_step(bigint, text, text)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
