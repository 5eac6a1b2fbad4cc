-- Revert tributary:functions/_claim_under_limits
BEGIN;
DROP FUNCTION tributary._claim_under_limits(text, integer, timestamptz, boolean, boolean);
COMMIT;
