-- Revert tributary:functions/search_path_temp_last
BEGIN;

DO $$
DECLARE
  v_function regprocedure;
BEGIN
  FOR v_function IN
    SELECT p.oid FROM pg_catalog.pg_proc AS p
    WHERE p.pronamespace = 'tributary'::regnamespace AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp']
    ORDER BY p.oid
  LOOP
    EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = ''''', v_function);
  END LOOP;
END
$$;

COMMIT;
