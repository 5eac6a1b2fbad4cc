-- Deploy tributary:functions/_cron_occurrences
-- requires: functions/_cron_parse functions/_local_to_instant
--
-- The instants a cron expression fires in p_time_zone strictly after p_after and no later than
-- p_until, ascending, at most p_max of them. Walks the wall clock of the time zone field by
-- field (month, day, hour, minute), so it costs a few steps per occurrence, not one per minute,
-- and maps each matching wall-clock time to an instant with _local_to_instant: a time that happens
-- twice fires once (its first occurrence), a time skipped by a daylight-saving change fires once at
-- the end of the gap, and several wall-clock times that map to one instant fire once. Gives up
-- 8 years after p_after (an expression like `0 0 30 2 *` never fires). Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._cron_occurrences(
  p_cron text,
  p_time_zone text,
  p_after timestamptz,
  p_until timestamptz,
  p_max integer
)
RETURNS SETOF timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  f record;
  v_local timestamp := p_after AT TIME ZONE p_time_zone;
  -- A day past p_until on the wall clock: a repeated hour can put an earlier instant there.
  v_end timestamp := LEAST(v_local + interval '8 years', (p_until AT TIME ZONE p_time_zone) + interval '1 day');
  v_at timestamp := pg_catalog.date_trunc('minute', v_local) + interval '1 minute';
  v_last timestamptz := p_after;
  v_instant timestamptz;
  v_day_ok boolean;
  v_next integer;
  v_count integer := 0;
BEGIN
  f := tributary._cron_parse(p_cron);
  WHILE v_at <= v_end AND v_count < p_max LOOP
    IF NOT (EXTRACT(month FROM v_at)::integer = ANY (f.months)) THEN
      v_at := pg_catalog.date_trunc('month', v_at) + interval '1 month';
      CONTINUE;
    END IF;
    v_day_ok := CASE
      WHEN f.any_day AND f.any_weekday THEN true
      WHEN f.any_day THEN EXTRACT(dow FROM v_at)::integer = ANY (f.weekdays)
      WHEN f.any_weekday THEN EXTRACT(day FROM v_at)::integer = ANY (f.days)
      ELSE EXTRACT(day FROM v_at)::integer = ANY (f.days) OR EXTRACT(dow FROM v_at)::integer = ANY (f.weekdays)
    END;
    IF NOT v_day_ok THEN
      v_at := pg_catalog.date_trunc('day', v_at) + interval '1 day';
      CONTINUE;
    END IF;
    IF NOT (EXTRACT(hour FROM v_at)::integer = ANY (f.hours)) THEN
      SELECT pg_catalog.min(h) INTO v_next FROM pg_catalog.unnest(f.hours) AS h WHERE h > EXTRACT(hour FROM v_at);
      v_at := CASE WHEN v_next IS NULL THEN pg_catalog.date_trunc('day', v_at) + interval '1 day'
                   ELSE pg_catalog.date_trunc('day', v_at) + pg_catalog.make_interval(hours => v_next) END;
      CONTINUE;
    END IF;
    SELECT pg_catalog.min(m) INTO v_next FROM pg_catalog.unnest(f.minutes) AS m WHERE m >= EXTRACT(minute FROM v_at);
    IF v_next IS NULL THEN
      v_at := pg_catalog.date_trunc('hour', v_at) + interval '1 hour';
      CONTINUE;
    END IF;
    v_at := pg_catalog.date_trunc('hour', v_at) + pg_catalog.make_interval(mins => v_next);
    v_instant := tributary._local_to_instant(v_at, p_time_zone);
    EXIT WHEN v_instant > p_until;
    IF v_instant > v_last THEN
      RETURN NEXT v_instant;
      v_last := v_instant;
      v_count := v_count + 1;
    END IF;
    v_at := v_at + interval '1 minute';
  END LOOP;
END;
$$;

COMMENT ON FUNCTION tributary._cron_occurrences(text, text, timestamptz, timestamptz, integer) IS
  'Internal: the instants a cron expression fires in a time zone after p_after up to p_until, ascending, at most p_max; each instant once across daylight-saving changes.';

COMMIT;
