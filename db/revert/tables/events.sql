-- Revert tributary:tables/events
BEGIN;
DROP TABLE tributary.events;
COMMIT;
