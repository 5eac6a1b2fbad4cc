-- Verify tributary_test:functions/steps_claimable_are
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.steps_claimable_are(bigint, text[], text)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
