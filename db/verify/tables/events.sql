-- Verify tributary:tables/events
BEGIN;
SELECT id, workflow_id, key, event, payload, sent_at, expires_at FROM tributary.events WHERE false;
ROLLBACK;
