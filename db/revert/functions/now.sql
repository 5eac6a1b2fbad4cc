-- Revert tributary:functions/now
-- Puts back the clock of v0.1.0, which honoured the tributary.fake_now setting.
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
