-- Deploy tributary:functions/_schedule_fire_time_after
-- requires: tables/schedules functions/_cron_occurrences
--
-- The first fire time of schedule p_schedule strictly after p_after: for a cron schedule the next
-- occurrence not before starts_at; for an interval schedule starts_at + k * every, elapsed time
-- (a day is 24 hours whatever the time zone). NULL when a cron expression never fires again.
-- Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._schedule_fire_time_after(p_schedule tributary.schedules, p_after timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_seconds numeric;
  v_next timestamptz;
BEGIN
  IF p_schedule.cron IS NOT NULL THEN
    SELECT o INTO v_next
    FROM tributary._cron_occurrences(p_schedule.cron, p_schedule.time_zone,
                                     GREATEST(p_after, p_schedule.starts_at - interval '1 microsecond'), 'infinity', 1) AS o;
    RETURN v_next;
  END IF;
  IF p_after < p_schedule.starts_at THEN
    RETURN p_schedule.starts_at;
  END IF;
  v_seconds := EXTRACT(epoch FROM p_schedule.every);
  RETURN p_schedule.starts_at + pg_catalog.make_interval(
    secs => ((pg_catalog.floor(EXTRACT(epoch FROM p_after - p_schedule.starts_at) / v_seconds) + 1) * v_seconds)::double precision);
END;
$$;

COMMENT ON FUNCTION tributary._schedule_fire_time_after(tributary.schedules, timestamptz) IS
  'Internal: the first fire time of a schedule strictly after a time (cron occurrence, or starts_at + k * every).';

COMMIT;
