-- Verify tributary_test:functions/claim
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.claim(bigint, text, text)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
