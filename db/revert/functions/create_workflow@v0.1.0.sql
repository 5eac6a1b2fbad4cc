-- Revert tributary:functions/create_workflow
BEGIN;
DROP FUNCTION tributary.create_workflow(text, jsonb, timestamptz, jsonb, text);
COMMIT;
