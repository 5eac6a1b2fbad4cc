-- Revert tributary:functions/_grant
BEGIN;
DROP FUNCTION tributary._grant(text, text, boolean);
COMMIT;
