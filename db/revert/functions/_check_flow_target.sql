-- Revert tributary:functions/_check_flow_target
BEGIN;
DROP FUNCTION tributary._check_flow_target(text, text);
COMMIT;
