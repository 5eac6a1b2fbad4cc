-- Deploy tributary:functions/now
-- requires: schema
--
-- The engine's only clock. Returns the transaction time, or the `tributary.fake_now` setting when
-- a test has set it, so pgTAP can test backoff, leases and schedules without sleeping.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.now()
RETURNS timestamptz
LANGUAGE sql
STABLE
PARALLEL SAFE
SET search_path = ''
AS $$
  SELECT coalesce(
    NULLIF(pg_catalog.current_setting('tributary.fake_now', true), '')::timestamptz,
    pg_catalog.now()
  )
$$;

COMMENT ON FUNCTION tributary.now() IS
  'The engine clock: now(), or the tributary.fake_now setting when tests set it. Every timestamp the engine writes comes from here.';

COMMIT;
