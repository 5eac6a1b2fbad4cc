-- Deploy tributary:functions/_local_to_instant
-- requires: schema
--
-- The instant a wall-clock time of p_time_zone stands for, by the schedules' daylight-saving rule:
-- a wall-clock time that happens twice (clocks set back) is its first occurrence; one that does
-- not happen (clocks set forward) is the instant the gap ends, the next valid one. Independent of
-- the session's TimeZone. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._local_to_instant(p_local timestamp, p_time_zone text)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_guess timestamptz := p_local AT TIME ZONE p_time_zone;
  -- The UTC offsets in force a day before and a day after: a wall-clock time has at most these two.
  v_offset_before interval := ((v_guess - interval '24 hours') AT TIME ZONE p_time_zone)
                              - ((v_guess - interval '24 hours') AT TIME ZONE 'UTC');
  v_offset_after interval := ((v_guess + interval '24 hours') AT TIME ZONE p_time_zone)
                             - ((v_guess + interval '24 hours') AT TIME ZONE 'UTC');
  v_first timestamptz := (p_local - GREATEST(v_offset_before, v_offset_after)) AT TIME ZONE 'UTC';
  v_second timestamptz := (p_local - LEAST(v_offset_before, v_offset_after)) AT TIME ZONE 'UTC';
  v_low timestamptz;
  v_high timestamptz;
  v_mid timestamptz;
BEGIN
  IF (v_first AT TIME ZONE p_time_zone) = p_local THEN
    RETURN v_first;
  ELSIF (v_second AT TIME ZONE p_time_zone) = p_local THEN
    RETURN v_second;
  END IF;
  -- In a gap: the transition lies between the two candidates; find the first second after it.
  v_low := LEAST(v_first, v_second);
  v_high := GREATEST(v_first, v_second);
  WHILE v_high - v_low > interval '1 second' LOOP
    v_mid := v_low + pg_catalog.date_trunc('second', (v_high - v_low) / 2);
    IF (v_mid AT TIME ZONE p_time_zone) >= p_local THEN
      v_high := v_mid;
    ELSE
      v_low := v_mid;
    END IF;
  END LOOP;
  RETURN v_high;
END;
$$;

COMMENT ON FUNCTION tributary._local_to_instant(timestamp, text) IS
  'Internal: the instant of a wall-clock time in a time zone; a repeated time is its first occurrence, a skipped one the end of the gap.';

COMMIT;
