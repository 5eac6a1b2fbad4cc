-- Deploy tributary:functions/resume_schedule
-- requires: tables/schedules functions/_schedule_fire_time_after
--
-- Resumes a paused schedule from its first fire time at or after now: the fire times that passed while it
-- was paused never fire (a pause is not an outage, so the catch-up policy does not apply).
-- Returns false, changing nothing, when it was not paused. TB204 when no schedule has that name.
-- Locks the schedule row.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.resume_schedule(p_name text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_schedule tributary.schedules;
  v_now timestamptz := tributary.now();
BEGIN
  SELECT * INTO v_schedule FROM tributary.schedules AS s WHERE s.name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'schedule "%" does not exist', p_name
      USING ERRCODE = 'TB204', HINT = 'SELECT name FROM tributary.schedule_status lists the schedules.';
  END IF;
  IF NOT v_schedule.paused THEN
    RETURN false;
  END IF;
  UPDATE tributary.schedules AS s
  SET paused = false,
      next_fire_at = coalesce(tributary._schedule_fire_time_after(v_schedule, v_now - interval '1 microsecond'), 'infinity'),
      updated_at = v_now
  WHERE s.id = v_schedule.id;
  RETURN true;
END;
$$;

COMMENT ON FUNCTION tributary.resume_schedule(text) IS
  'Resumes a paused schedule from its first fire time at or after now (fire times passed while paused never fire); false if not paused. TB204 unknown schedule.';

COMMIT;
