-- Revert tributary:functions/_wait_spec
BEGIN;
DROP FUNCTION tributary._wait_spec(jsonb);
COMMIT;
