-- Verify tributary:views/schedule_status
BEGIN;
SELECT name, cron, time_zone, every, workflow_name, overlap, catch_up, paused, next_fire_at, next_fire_in,
       last_fire_at, last_workflow_id, last_workflow_state, last_error
FROM tributary.schedule_status WHERE false;
ROLLBACK;
