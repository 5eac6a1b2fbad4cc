-- Deploy tributary:functions/now
-- requires: functions/now@v0.1.0
--
-- The engine's only clock: the transaction time. Every timestamp the engine writes and compares
-- comes from here. Production has no way to move it: no setting is read. The testing kit
-- (db/testing, schema tributary_test) replaces this function on test databases with one that
-- follows tributary_test.set_now()/advance(), and its revert puts this one back.
-- PL/pgSQL rather than SQL: a SQL function with a SET clause is planned again at every call.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.now()
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = ''
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
BEGIN
  RETURN pg_catalog.now();
END;
$$;

COMMENT ON FUNCTION tributary.now() IS
  'The engine clock: the transaction time (pg_catalog.now()). Every timestamp the engine writes comes from here. Only the testing kit (schema tributary_test) can move it.';

COMMIT;
