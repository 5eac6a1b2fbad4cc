-- Revert tributary:columns/steps_concurrency_key
BEGIN;
DROP INDEX tributary.steps_running_key_idx;
DROP INDEX tributary.steps_running_queue_idx;
ALTER TABLE tributary.steps DROP COLUMN concurrency_key, DROP COLUMN flow_limited;
COMMIT;
