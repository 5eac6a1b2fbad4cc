-- Revert tributary:functions/_fail_attempt
BEGIN;
DROP FUNCTION tributary._fail_attempt(tributary.steps, jsonb, boolean);
COMMIT;
