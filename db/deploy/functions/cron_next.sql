-- Deploy tributary:functions/cron_next
-- requires: functions/_cron_occurrences
-- requires: functions/_check_time_zone
--
-- The first instant strictly after p_after at which a 5-field cron expression fires in
-- p_time_zone, by the schedules' rules (see _cron_occurrences); NULL when it never fires within
-- 8 years. For previewing an expression before create_schedule. TB201 for an expression that does
-- not parse, TB202 for an unknown time zone. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.cron_next(
  p_cron text,
  p_time_zone text DEFAULT 'UTC',
  p_after timestamptz DEFAULT NULL
)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_next timestamptz;
BEGIN
  PERFORM tributary._cron_parse(p_cron);
  PERFORM tributary._check_time_zone(p_time_zone);
  SELECT o INTO v_next
  FROM tributary._cron_occurrences(p_cron, p_time_zone, coalesce(p_after, tributary.now()), 'infinity', 1) AS o;
  RETURN v_next;
END;
$$;

COMMENT ON FUNCTION tributary.cron_next(text, text, timestamptz) IS
  'The first instant after p_after (default now()) at which a 5-field cron expression fires in p_time_zone; NULL if never within 8 years. TB201 bad expression, TB202 unknown time zone.';

COMMIT;
