-- Revert tributary:views/schedule_status
BEGIN;
DROP VIEW tributary.schedule_status;
COMMIT;
