-- Revert tributary:views/recent_failures
BEGIN;
DROP VIEW tributary.recent_failures;
COMMIT;
