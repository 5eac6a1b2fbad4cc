-- Verify tributary:views/unserved_queues
BEGIN;
SELECT queue, ready, oldest_ready_age FROM tributary.unserved_queues WHERE false;
ROLLBACK;
