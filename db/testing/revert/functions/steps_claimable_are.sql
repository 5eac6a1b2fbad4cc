-- Revert tributary_test:functions/steps_claimable_are
BEGIN;
DROP FUNCTION tributary_test.steps_claimable_are(bigint, text[], text);
COMMIT;
