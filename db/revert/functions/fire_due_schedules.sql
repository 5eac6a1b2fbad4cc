-- Revert tributary:functions/fire_due_schedules
BEGIN;
DROP FUNCTION tributary.fire_due_schedules(integer);
COMMIT;
