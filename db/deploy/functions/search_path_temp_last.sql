-- Deploy tributary:functions/search_path_temp_last
-- requires: tables/steps_rules
--
-- Every function of the schema that pinned search_path = '' pins search_path = pg_catalog,
-- pg_temp instead. With '' PostgreSQL still searches the session's temporary schema, and searches
-- it first, for type and relation names (never for functions or operators): a role that may only
-- call an entry point could create a type pg_temp.text, with a cast from pg_catalog.text, and
-- the unqualified text of a variable or a ::text cast in a SECURITY DEFINER function then meant
-- that type and ran that cast's function as the schema's owner. Listed last, pg_temp is searched
-- after pg_catalog, so a built-in type name always means the built-in type. The functions' own
-- deploy scripts still say '' (they are released); this change sets every one of them, and
-- db/tests/structure/schema.sql fails for a function created later without the new setting.
BEGIN;

DO $$
DECLARE
  v_function regprocedure;
BEGIN
  FOR v_function IN
    SELECT p.oid FROM pg_catalog.pg_proc AS p
    WHERE p.pronamespace = 'tributary'::regnamespace AND p.proconfig @> ARRAY['search_path=""']
    ORDER BY p.oid
  LOOP
    EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp', v_function);
  END LOOP;
END
$$;

COMMIT;
