-- Revert tributary:tables/step_dependencies
BEGIN;
DROP TABLE tributary.step_dependencies;
COMMIT;
