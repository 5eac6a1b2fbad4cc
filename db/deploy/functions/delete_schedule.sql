-- Deploy tributary:functions/delete_schedule
-- requires: tables/schedules
--
-- Deletes a schedule. The workflows it created are left as they are (running ones keep running).
-- TB204 when no schedule has that name. Locks the schedule row (waits for a fire_due_schedules()
-- that holds it).
BEGIN;

CREATE OR REPLACE FUNCTION tributary.delete_schedule(p_name text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  DELETE FROM tributary.schedules AS s WHERE s.name = p_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'schedule "%" does not exist', p_name
      USING ERRCODE = 'TB204', HINT = 'SELECT name FROM tributary.schedule_status lists the schedules.';
  END IF;
END;
$$;

COMMENT ON FUNCTION tributary.delete_schedule(text) IS
  'Deletes a schedule; the workflows it created stay. TB204 unknown schedule.';

COMMIT;
