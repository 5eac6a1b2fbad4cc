-- Verify tributary:functions/_backoff
BEGIN;
SELECT 1 / (tributary._backoff(1, interval '1 second') <= interval '1 second')::int;
ROLLBACK;
