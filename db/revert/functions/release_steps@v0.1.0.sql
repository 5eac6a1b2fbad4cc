-- Revert tributary:functions/release_steps
BEGIN;
DROP FUNCTION tributary.release_steps(bigint[], integer[]);
COMMIT;
