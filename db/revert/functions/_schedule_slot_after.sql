-- Revert tributary:functions/_schedule_slot_after
BEGIN;
DROP FUNCTION tributary._schedule_slot_after(tributary.schedules, timestamptz);
COMMIT;
