-- Verify tributary:views/expired_leases
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM pg_catalog.pg_views
 WHERE schemaname = 'tributary' AND viewname = 'expired_leases';
SELECT step_id, workflow_id, task_name, kind, queue, worker_id, attempt, lease_expires_at, expired_for
FROM tributary.expired_leases WHERE false;
ROLLBACK;
