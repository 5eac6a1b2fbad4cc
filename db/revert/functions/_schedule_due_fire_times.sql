-- Revert tributary:functions/_schedule_due_fire_times
BEGIN;
DROP FUNCTION tributary._schedule_due_fire_times(tributary.schedules, timestamptz, integer);
COMMIT;
