-- Deploy tributary:functions/_settings
-- requires: tables/settings
--
-- Reads the one row of tributary.settings; used by column defaults and by the engine functions.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._settings()
RETURNS tributary.settings
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
  SELECT s FROM tributary.settings AS s WHERE s.singleton
$$;

COMMENT ON FUNCTION tributary._settings() IS
  'Internal: the row of tributary.settings (engine-wide defaults).';

COMMIT;
