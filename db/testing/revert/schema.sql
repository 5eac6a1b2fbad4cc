-- Revert tributary_test:schema
-- Test databases only: helpers a suite created in the kit's schema go with it.
BEGIN;
DROP SCHEMA tributary_test CASCADE;  -- with the helpers a suite added on top (db/tests/fixtures.sql)
COMMIT;
