-- Verify tributary:functions/_settings
BEGIN;
SELECT 1 / ((tributary._settings()).default_queue IS NOT NULL)::int;
ROLLBACK;
