-- Deploy tributary:functions/_settings
-- requires: tables/settings
--
-- Reads the one row of tributary.settings; used by column defaults and by the engine functions.
-- PL/pgSQL rather than SQL: a SQL function with a SET clause is planned again at every call.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._settings()
RETURNS tributary.settings
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
DECLARE
  v_settings tributary.settings;
BEGIN
  SELECT * INTO v_settings FROM tributary.settings AS s WHERE s.singleton;
  RETURN v_settings;
END;
$$;

COMMENT ON FUNCTION tributary._settings() IS
  'Internal: the row of tributary.settings (engine-wide defaults).';

COMMIT;
