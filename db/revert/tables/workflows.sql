-- Revert tributary:tables/workflows
BEGIN;
DROP TABLE tributary.workflows;
COMMIT;
