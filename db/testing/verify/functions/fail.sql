-- Verify tributary_test:functions/fail
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.fail(bigint, text, jsonb, boolean)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
