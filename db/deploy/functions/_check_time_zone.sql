-- Deploy tributary:functions/_check_time_zone
-- requires: schema
--
-- Raises TB202 unless PostgreSQL knows p_time_zone (a name of pg_timezone_names such as
-- Europe/Paris, an abbreviation, or a POSIX zone). Tries a conversion rather than reading
-- pg_timezone_names, which reads every zone file. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._check_time_zone(p_time_zone text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  IF p_time_zone IS NOT NULL AND p_time_zone <> '' THEN
    BEGIN
      PERFORM pg_catalog.now() AT TIME ZONE p_time_zone;
      RETURN;
    EXCEPTION WHEN invalid_parameter_value THEN
      NULL;
    END;
  END IF;
  RAISE EXCEPTION 'unknown time zone "%"', p_time_zone
    USING ERRCODE = 'TB202', HINT = 'Use a name from pg_timezone_names, e.g. ''Europe/Paris'' or ''UTC''.';
END;
$$;

COMMENT ON FUNCTION tributary._check_time_zone(text) IS
  'Internal: raises TB202 unless PostgreSQL knows the time zone.';

COMMIT;
