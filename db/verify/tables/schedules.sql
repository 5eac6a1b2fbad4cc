-- Verify tributary:tables/schedules
BEGIN;
SELECT id, name, cron, time_zone, every, starts_at, workflow_name, tasks, metadata, overlap, catch_up,
       catch_up_limit, catch_up_grace, paused, next_fire_at, last_fire_at, last_workflow_id, last_error,
       created_at, updated_at
FROM tributary.schedules WHERE false;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_constraint
WHERE conname = 'schedules_cron_or_every' AND conrelid = 'tributary.schedules'::regclass;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_indexes
WHERE schemaname = 'tributary' AND indexname = 'schedules_due_idx';
ROLLBACK;
