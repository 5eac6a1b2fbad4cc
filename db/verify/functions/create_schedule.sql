-- Verify tributary:functions/create_schedule
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege(
  'tributary.create_schedule(text, text, jsonb, text, interval, text, jsonb, text, text, integer, interval, timestamptz, boolean)',
  'execute')::int;
ROLLBACK;
