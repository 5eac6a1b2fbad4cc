-- Deploy tributary_test:functions/advance
-- requires: functions/set_now
--
-- Moves the engine clock forward by p_by from where it stands (the time set_now/advance set, or
-- the transaction time): the way to let a backoff, a lease, a timeout or a delayed start run
-- out without sleeping. Refuses NULL and negative intervals (TB012): set_now goes back in time.
-- Returns the new time. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.advance(p_by interval)
RETURNS timestamptz
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF p_by IS NULL OR p_by < interval '0' THEN
    RAISE EXCEPTION 'advance moves the engine clock forward, got %', coalesce(p_by::text, 'NULL')
      USING ERRCODE = 'TB012', HINT = 'set_now(time) moves the clock to any time, earlier ones included.';
  END IF;
  RETURN tributary_test.set_now(tributary.now() + p_by);
END;
$$;

COMMENT ON FUNCTION tributary_test.advance(interval) IS
  'Testing kit: moves the engine clock forward by p_by from where it stands; returns the new time. TB012 for NULL or a negative interval.';

COMMIT;
