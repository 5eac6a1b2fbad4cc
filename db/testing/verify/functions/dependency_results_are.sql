-- Verify tributary_test:functions/dependency_results_are
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.dependency_results_are(bigint, text, jsonb, text)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
