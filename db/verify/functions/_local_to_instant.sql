-- Verify tributary:functions/_local_to_instant
BEGIN;
SELECT 1 / (tributary._local_to_instant('2026-03-29 02:30', 'Europe/Paris') = '2026-03-29 01:00:00+00')::int;
ROLLBACK;
