-- Revert tributary:views/unserved_queues
BEGIN;
DROP VIEW tributary.unserved_queues;
COMMIT;
