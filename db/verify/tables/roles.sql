-- Verify tributary:tables/roles
BEGIN;
SELECT purpose, role_name FROM tributary.roles WHERE false;
ROLLBACK;
