-- Revert tributary:views/queue_depths
BEGIN;
DROP VIEW tributary.queue_depths;
COMMIT;
