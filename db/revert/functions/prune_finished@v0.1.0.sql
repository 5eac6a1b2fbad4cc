-- Revert tributary:functions/prune_finished
BEGIN;
DROP FUNCTION tributary.prune_finished(interval, integer);
COMMIT;
