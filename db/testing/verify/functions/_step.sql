-- Verify tributary_test:functions/_step
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test._step(bigint, text)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
