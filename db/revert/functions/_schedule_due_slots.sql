-- Revert tributary:functions/_schedule_due_slots
BEGIN;
DROP FUNCTION tributary._schedule_due_slots(tributary.schedules, timestamptz, integer);
COMMIT;
