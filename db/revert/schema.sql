-- Revert tributary:schema
BEGIN;
DROP SCHEMA tributary;
COMMIT;
