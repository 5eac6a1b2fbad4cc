-- Deploy tributary:functions/_schedule_due_fire_times
-- requires: tables/schedules functions/_cron_occurrences
--
-- The newest p_max fire times of p_schedule that are due: from next_fire_at up to p_now, ascending.
-- An interval schedule counts them. A cron schedule looks back from p_now through windows of
-- growing length (an hour, a day, 32 days, 367 days, then back to next_fire_at) and stops at the
-- first window that holds p_max of them, so a schedule left alone for a month does not walk every
-- minute of it. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._schedule_due_fire_times(
  p_schedule tributary.schedules,
  p_now timestamptz,
  p_max integer
)
RETURNS timestamptz[]
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_seconds numeric;
  v_first numeric;
  v_last numeric;
  v_window interval;
  v_from timestamptz;
  v_fire_times timestamptz[];
BEGIN
  IF p_schedule.next_fire_at > p_now THEN
    RETURN '{}';
  END IF;
  IF p_schedule.cron IS NULL THEN
    v_seconds := EXTRACT(epoch FROM p_schedule.every);
    v_first := pg_catalog.round(EXTRACT(epoch FROM p_schedule.next_fire_at - p_schedule.starts_at) / v_seconds);
    v_last := pg_catalog.floor(EXTRACT(epoch FROM p_now - p_schedule.starts_at) / v_seconds);
    RETURN ARRAY(
      SELECT p_schedule.starts_at + pg_catalog.make_interval(secs => (k * v_seconds)::double precision)
      FROM pg_catalog.generate_series(GREATEST(v_first, v_last - p_max + 1), v_last) AS k
      ORDER BY k);
  END IF;
  FOREACH v_window IN ARRAY ARRAY[interval '1 hour', interval '24 hours', interval '768 hours', interval '8808 hours', NULL] LOOP
    v_from := CASE WHEN v_window IS NULL THEN p_schedule.next_fire_at
                   ELSE GREATEST(p_schedule.next_fire_at, p_now - v_window) END;
    v_fire_times := ARRAY(
      SELECT o FROM tributary._cron_occurrences(p_schedule.cron, p_schedule.time_zone, v_from - interval '1 microsecond',
                                                p_now, 2147483647) AS o);
    IF pg_catalog.cardinality(v_fire_times) >= p_max OR v_from = p_schedule.next_fire_at THEN
      RETURN v_fire_times[GREATEST(1, pg_catalog.cardinality(v_fire_times) - p_max + 1):];
    END IF;
  END LOOP;
  RETURN v_fire_times;
END;
$$;

COMMENT ON FUNCTION tributary._schedule_due_fire_times(tributary.schedules, timestamptz, integer) IS
  'Internal: the newest p_max due fire times of a schedule (from next_fire_at up to p_now), ascending.';

COMMIT;
