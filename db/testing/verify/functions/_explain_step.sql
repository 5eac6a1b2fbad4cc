-- Verify tributary_test:functions/_explain_step
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test._explain_step(tributary.steps)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
