-- Verify tributary:columns/steps_wait
BEGIN;
SELECT wait, wake_at FROM tributary.steps WHERE false;
SELECT 1 / (pg_catalog.count(*) = 2)::integer FROM pg_catalog.pg_indexes
WHERE schemaname = 'tributary' AND indexname IN ('steps_wake_idx', 'steps_waiting_event_idx');
SELECT 1 / (pg_catalog.count(*) = 3)::integer FROM pg_catalog.pg_constraint
WHERE conrelid = 'tributary.steps'::regclass
  AND conname IN ('steps_wait_is_object', 'steps_wake_at_only_when_waiting', 'steps_wait_never_claimed');
ROLLBACK;
