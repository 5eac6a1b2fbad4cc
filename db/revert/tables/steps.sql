-- Revert tributary:tables/steps
BEGIN;
DROP TABLE tributary.steps;
COMMIT;
