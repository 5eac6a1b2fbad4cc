-- Verify tributary:functions/now
BEGIN;
SELECT 1 / (tributary.now() IS NOT NULL)::int;
ROLLBACK;
