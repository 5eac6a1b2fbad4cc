-- Revert tributary:functions/complete_steps
BEGIN;
DROP FUNCTION tributary.complete_steps(bigint[], integer[], jsonb[]);
COMMIT;
