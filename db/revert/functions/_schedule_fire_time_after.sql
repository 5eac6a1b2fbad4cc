-- Revert tributary:functions/_schedule_fire_time_after
BEGIN;
DROP FUNCTION tributary._schedule_fire_time_after(tributary.schedules, timestamptz);
COMMIT;
