-- Revert tributary_test:functions/dependency_results_are
BEGIN;
DROP FUNCTION tributary_test.dependency_results_are(bigint, text, jsonb, text);
COMMIT;
