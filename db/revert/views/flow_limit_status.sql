-- Revert tributary:views/flow_limit_status
BEGIN;
DROP VIEW tributary.flow_limit_status;
COMMIT;
