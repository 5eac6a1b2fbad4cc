-- Verify tributary_test:functions/step_attempts_are
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.step_attempts_are(bigint, text, integer, text)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
