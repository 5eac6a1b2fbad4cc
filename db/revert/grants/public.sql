-- Revert tributary:grants/public
BEGIN;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tributary TO PUBLIC;
-- The deploy-time helpers were never PUBLIC's.
REVOKE ALL ON FUNCTION tributary._create_role(text, text[]), tributary._grant(text, text, boolean) FROM PUBLIC;

COMMIT;
