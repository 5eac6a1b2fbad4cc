-- Revert tributary:tables/flow_limits
BEGIN;
DROP TABLE tributary.flow_limits;
COMMIT;
