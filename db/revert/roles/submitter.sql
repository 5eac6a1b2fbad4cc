-- Revert tributary:roles/submitter
--
-- Forgets the role in this database; the role itself stays (it belongs to the cluster, and other
-- databases may still grant to it). Drop it by hand once no database uses it.
BEGIN;

DELETE FROM tributary.roles WHERE purpose = 'submitter';

COMMIT;
