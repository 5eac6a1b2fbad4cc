-- Deploy tributary:views/schedule_status
-- requires: tables/schedules tables/workflows
--
-- For psql, `tributary status` and `tributary schedules`: one row per schedule with its timing,
-- policies, next fire time and the state of the workflow its last fire time created.
BEGIN;

CREATE OR REPLACE VIEW tributary.schedule_status AS
SELECT s.name,
       s.cron,
       s.time_zone,
       s.every,
       s.workflow_name,
       s.overlap,
       s.catch_up,
       s.paused,
       CASE WHEN NOT s.paused THEN s.next_fire_at END AS next_fire_at,
       CASE WHEN NOT s.paused THEN s.next_fire_at - tributary.now() END AS next_fire_in,
       s.last_fire_at,
       s.last_workflow_id,
       w.state AS last_workflow_state,
       s.last_error
FROM tributary.schedules AS s
LEFT JOIN tributary.workflows AS w ON w.id = s.last_workflow_id;

COMMENT ON VIEW tributary.schedule_status IS
  'Schedules with their timing, policies, next fire time (NULL while paused) and how long until it, and the last fire time with its workflow''s state (NULL once pruned).';

COMMIT;
