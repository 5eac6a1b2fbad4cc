-- Revert tributary:functions/_complete_waits
BEGIN;
DROP FUNCTION tributary._complete_waits(bigint[], jsonb[]);
COMMIT;
