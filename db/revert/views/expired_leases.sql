-- Revert tributary:views/expired_leases
BEGIN;
DROP VIEW tributary.expired_leases;
COMMIT;
