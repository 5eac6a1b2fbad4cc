-- Revert tributary:functions/wake_due_steps
BEGIN;
DROP FUNCTION tributary.wake_due_steps(integer);
COMMIT;
