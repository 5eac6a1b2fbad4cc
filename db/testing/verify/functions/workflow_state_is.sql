-- Verify tributary_test:functions/workflow_state_is
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.workflow_state_is(bigint, text, text)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
