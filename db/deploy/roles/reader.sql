-- Deploy tributary:roles/reader
-- requires: functions/_create_role
--
-- The NOLOGIN group role of readers: they call get_workflow and read the views.
-- Named tributary_reader unless the deploying session sets tributary.reader_role. Kept by a revert:
-- roles belong to the cluster, and other databases may grant to it (see docs/security.md).
BEGIN;

DO $$
BEGIN
  PERFORM tributary._create_role('reader', '{}');
END
$$;

COMMIT;
