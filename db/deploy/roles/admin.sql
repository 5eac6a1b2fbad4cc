-- Deploy tributary:roles/admin
-- requires: functions/_create_role
--
-- The NOLOGIN group role of admins: they change settings, retry and prune, and can do all the others can.
-- Named tributary_admin unless the deploying session sets tributary.admin_role. Kept by a revert:
-- roles belong to the cluster, and other databases may grant to it (see docs/security.md).
BEGIN;

DO $$
BEGIN
  PERFORM tributary._create_role('admin', '{reader,worker,submitter}');
END
$$;

COMMIT;
