-- Verify tributary:functions/_cron_occurrences
BEGIN;
SELECT 1 / (pg_catalog.count(*) = 3)::int
FROM tributary._cron_occurrences('0 * * * *', 'UTC', '2030-01-01 00:00+00', 'infinity', 3);
ROLLBACK;
