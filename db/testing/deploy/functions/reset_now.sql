-- Deploy tributary_test:functions/reset_now
-- requires: functions/now
--
-- Gives the engine back the real clock: tributary.now() is the transaction time again. Locks
-- nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test.reset_now()
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.set_config('tributary_test.fake_now', '', false) $$;

COMMENT ON FUNCTION tributary_test.reset_now() IS
  'Testing kit: the engine clock (tributary.now()) is the transaction time again.';

COMMIT;
