-- Revert tributary:tables/paused_queues
BEGIN;
DROP TABLE tributary.paused_queues;
COMMIT;
