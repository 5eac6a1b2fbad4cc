-- Verify tributary:tables/paused_queues
BEGIN;
SELECT queue, paused_at FROM tributary.paused_queues WHERE false;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_constraint
WHERE conname = 'paused_queues_queue_not_blank' AND conrelid = 'tributary.paused_queues'::regclass;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_constraint
WHERE contype = 'p' AND conrelid = 'tributary.paused_queues'::regclass;
ROLLBACK;
