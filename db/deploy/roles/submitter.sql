-- Deploy tributary:roles/submitter
-- requires: functions/_create_role
--
-- The NOLOGIN group role of submitters: they create, cancel and read workflows (a submitter is also a reader).
-- Named tributary_submitter unless the deploying session sets tributary.submitter_role. Kept by a revert:
-- roles belong to the cluster, and other databases may grant to it (see docs/security.md).
BEGIN;

DO $$
BEGIN
  PERFORM tributary._create_role('submitter', '{reader}');
END
$$;

COMMIT;
