-- Revert tributary:functions/spawn_child_workflow
BEGIN;
DROP FUNCTION tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb);
COMMIT;
