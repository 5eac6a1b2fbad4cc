-- Verify tributary:functions/now
-- The production clock is the transaction time, whatever tributary.fake_now says.
BEGIN;
SELECT pg_catalog.set_config('tributary.fake_now', '2001-02-03 04:05:06+00', true);
SELECT 1 / (tributary.now() = pg_catalog.now())::int;
ROLLBACK;
