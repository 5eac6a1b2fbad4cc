-- Deploy tributary:grants/public
-- requires: schema
--
-- Nothing in schema tributary is executable by PUBLIC: EXECUTE is revoked from PUBLIC on every
-- function. PostgreSQL grants EXECUTE to PUBLIC on every function created later, and default
-- privileges per schema cannot take that back (only the deploying role's global defaults could,
-- for every schema of the database): a change that adds a function revokes it from PUBLIC and
-- grants it to the roles that need it (tributary._grant), and db/tests/roles/privileges.sql
-- fails for a function that PUBLIC may still call.
BEGIN;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA tributary FROM PUBLIC;

COMMIT;
