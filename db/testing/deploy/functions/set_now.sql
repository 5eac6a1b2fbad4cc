-- Deploy tributary_test:functions/set_now
-- requires: functions/now
--
-- Moves the engine clock to p_at for this session: tributary.now() returns p_at until the next
-- set_now/advance/reset_now. The setting is a session one, so a ROLLBACK undoes it with
-- everything else a pgTAP test did, and an autocommit session keeps it across statements. The
-- clock stands still at p_at (pg_catalog.now() stands still within a transaction too). Refuses
-- NULL and infinite times (TB012), and raises TB011 when tributary.now() does not follow the kit
-- (the engine's functions/now was deployed again after the kit). Returns p_at. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.set_now(p_at timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET datestyle = 'ISO, YMD'
AS $$
BEGIN
  IF p_at IS NULL OR NOT pg_catalog.isfinite(p_at) THEN
    RAISE EXCEPTION 'the engine clock needs a finite time, got %', coalesce(p_at::text, 'NULL')
      USING ERRCODE = 'TB012', HINT = 'reset_now() goes back to the transaction time.';
  END IF;
  PERFORM pg_catalog.set_config('tributary_test.fake_now', p_at::text, false);
  IF tributary.now() IS DISTINCT FROM p_at THEN
    RAISE EXCEPTION 'tributary.now() does not follow the testing kit''s clock'
      USING ERRCODE = 'TB011',
            DETAIL = 'The engine''s functions/now was deployed again after the kit and replaced its clock.',
            HINT = 'Revert the kit and deploy it again (tributary migrate revert --testing --all; tributary migrate up --testing).';
  END IF;
  RETURN p_at;
END;
$$;

COMMENT ON FUNCTION tributary_test.set_now(timestamptz) IS
  'Testing kit: moves the engine clock (tributary.now()) to p_at for this session; a ROLLBACK undoes it. Returns p_at. TB012 for NULL or infinity.';

COMMIT;
