-- Verify tributary:functions/_lock_event
BEGIN;
SELECT tributary._lock_event(1, NULL, 'verify');
ROLLBACK;
