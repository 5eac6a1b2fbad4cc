-- Verify tributary:functions/reserve_workflow_ids
BEGIN;
SELECT 'tributary.reserve_workflow_ids(integer)'::regprocedure;
ROLLBACK;
