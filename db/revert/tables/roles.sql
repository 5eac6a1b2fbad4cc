-- Revert tributary:tables/roles
BEGIN;
DROP TABLE tributary.roles;
COMMIT;
