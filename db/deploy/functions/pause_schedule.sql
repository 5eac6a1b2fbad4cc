-- Deploy tributary:functions/pause_schedule
-- requires: tables/schedules
--
-- Pauses a schedule: fire_due_schedules() fires nothing of it until resume_schedule(). Returns
-- false, changing nothing, when it was already paused. TB204 when no schedule has that name.
-- Locks the schedule row.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.pause_schedule(p_name text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_paused boolean;
BEGIN
  SELECT s.paused INTO v_paused FROM tributary.schedules AS s WHERE s.name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'schedule "%" does not exist', p_name
      USING ERRCODE = 'TB204', HINT = 'SELECT name FROM tributary.schedule_status lists the schedules.';
  END IF;
  IF v_paused THEN
    RETURN false;
  END IF;
  UPDATE tributary.schedules AS s SET paused = true, updated_at = tributary.now() WHERE s.name = p_name;
  RETURN true;
END;
$$;

COMMENT ON FUNCTION tributary.pause_schedule(text) IS
  'Pauses a schedule (it fires nothing until resume_schedule); false if already paused. TB204 unknown schedule.';

COMMIT;
