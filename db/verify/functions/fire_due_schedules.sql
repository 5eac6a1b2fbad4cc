-- Verify tributary:functions/fire_due_schedules
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.fire_due_schedules(integer)', 'execute')::int;
ROLLBACK;
