-- Verify tributary_test:functions/step_state
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.step_state(bigint, text)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
