-- Revert tributary_test:functions/now
-- Puts back the production clock the deploy saved, unless tributary.now() is no longer the
-- kit's (the engine's functions/now was deployed again since, and that one stays).
BEGIN;

DO $$
DECLARE
  v_saved tributary_test.production_now;
BEGIN
  SELECT * INTO STRICT v_saved FROM tributary_test.production_now;
  IF (SELECT p.prosrc FROM pg_catalog.pg_proc AS p WHERE p.oid = 'tributary.now()'::regprocedure)
     LIKE '%tributary_test.fake_now%' THEN
    EXECUTE v_saved.definition;
    EXECUTE pg_catalog.format('COMMENT ON FUNCTION tributary.now() IS %L', v_saved.description);
  END IF;
END
$$;

DROP TABLE tributary_test.production_now;

COMMIT;
