-- Verify tributary_test:functions/now
-- tributary.now() follows tributary_test.fake_now, and the production clock is saved.
BEGIN;
SELECT 1 / pg_catalog.count(*)::int FROM tributary_test.production_now WHERE definition LIKE '%tributary.now()%';
SELECT pg_catalog.set_config('tributary_test.fake_now', '2001-02-03 04:05:06+00', true);
SELECT 1 / (tributary.now() = '2001-02-03 04:05:06+00'::timestamptz)::int;
ROLLBACK;
