-- Revert tributary:functions/list_workflows
BEGIN;
DROP FUNCTION tributary.list_workflows(text, text, timestamptz, text, bigint, integer);
COMMIT;
