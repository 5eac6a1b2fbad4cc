-- Revert tributary:functions/now
BEGIN;
DROP FUNCTION tributary.now();
COMMIT;
