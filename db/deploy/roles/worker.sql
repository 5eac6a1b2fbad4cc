-- Deploy tributary:roles/worker
-- requires: functions/_create_role
--
-- The NOLOGIN group role of workers: they claim steps and report their outcome (claim, complete, fail, heartbeat, release, rescue).
-- Named tributary_worker unless the deploying session sets tributary.worker_role. Kept by a revert:
-- roles belong to the cluster, and other databases may grant to it (see docs/security.md).
BEGIN;

DO $$
BEGIN
  PERFORM tributary._create_role('worker', '{}');
END
$$;

COMMIT;
