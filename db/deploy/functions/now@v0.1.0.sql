-- Deploy tributary:functions/now
-- requires: schema
--
-- The engine's only clock. Returns the transaction time, or the `tributary.fake_now` setting when
-- a test has set it, so pgTAP can test backoff, leases and schedules without sleeping.
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
  RETURN coalesce(NULLIF(pg_catalog.current_setting('tributary.fake_now', true), '')::timestamptz, pg_catalog.now());
END;
$$;

COMMENT ON FUNCTION tributary.now() IS
  'The engine clock: now(), or the tributary.fake_now setting when tests set it. Every timestamp the engine writes comes from here.';

COMMIT;
