-- Verify tributary_test:functions/_tap
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test._tap(boolean, text, text, text, text[])'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
