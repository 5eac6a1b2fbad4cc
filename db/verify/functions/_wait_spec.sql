-- Verify tributary:functions/_wait_spec
BEGIN;
SELECT 1 / (tributary._wait_spec('{"sleep": "1 hour"}') = '{"sleep": "01:00:00"}')::integer;
ROLLBACK;
