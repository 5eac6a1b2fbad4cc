-- Revert tributary:columns/steps_wait
BEGIN;
ALTER TABLE tributary.steps DROP COLUMN wait, DROP COLUMN wake_at;
COMMIT;
