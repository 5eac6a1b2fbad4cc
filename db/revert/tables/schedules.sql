-- Revert tributary:tables/schedules
BEGIN;
DROP TABLE tributary.schedules;
COMMIT;
