-- Revert tributary:functions/_create_role
BEGIN;
DROP FUNCTION tributary._create_role(text, text[]);
COMMIT;
