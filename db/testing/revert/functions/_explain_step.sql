-- Revert tributary_test:functions/_explain_step
BEGIN;
DROP FUNCTION tributary_test._explain_step(tributary.steps);
COMMIT;
