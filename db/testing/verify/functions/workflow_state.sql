-- Verify tributary_test:functions/workflow_state
BEGIN;
SELECT 1 / (pg_catalog.obj_description('tributary_test.workflow_state(bigint)'::regprocedure, 'pg_proc') IS NOT NULL)::int;
ROLLBACK;
