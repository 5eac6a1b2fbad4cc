-- Revert tributary:functions/heartbeat
BEGIN;
DROP FUNCTION tributary.heartbeat(bigint, integer);
COMMIT;
