-- Verify tributary:views/queue_depths
BEGIN;
SELECT queue, ready, scheduled, running, oldest_ready_age, paused FROM tributary.queue_depths WHERE false;
ROLLBACK;
