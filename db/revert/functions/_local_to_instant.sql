-- Revert tributary:functions/_local_to_instant
BEGIN;
DROP FUNCTION tributary._local_to_instant(timestamp, text);
COMMIT;
