-- Verify tributary_test:functions/step_result_is
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.step_result_is(bigint, text, jsonb, text)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
