-- Revert tributary:functions/heartbeat_steps
BEGIN;
DROP FUNCTION tributary.heartbeat_steps(bigint[], integer[]);
COMMIT;
