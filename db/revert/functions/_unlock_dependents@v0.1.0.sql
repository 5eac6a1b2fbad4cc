-- Revert tributary:functions/_unlock_dependents
BEGIN;
DROP FUNCTION tributary._unlock_dependents(bigint[]);
COMMIT;
