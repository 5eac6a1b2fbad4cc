-- Verify tributary:functions/_cron_parse
BEGIN;
SELECT 1 / (pg_catalog.cardinality(minutes) = 4 AND hours = '{6}' AND weekdays = '{1,2,3,4,5}')::int
FROM tributary._cron_parse('*/15 6 * * MON-FRI');
ROLLBACK;
