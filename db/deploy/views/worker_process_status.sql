-- Deploy tributary:views/worker_process_status
-- requires: tables/worker_processes tables/settings
--
-- For psql and the CLI: every registered worker process, and whether it is live (it reported
-- within one lease duration: a process silent for longer has lost its steps' leases too).
BEGIN;

CREATE OR REPLACE VIEW tributary.worker_process_status AS
SELECT w.worker_id,
       w.host,
       w.pid,
       w.queues,
       w.kinds,
       w.package_version,
       w.started_at,
       w.last_seen_at,
       w.last_seen_at >= tributary.now() - st.lease_duration AS live
FROM tributary.worker_processes AS w
CROSS JOIN tributary.settings AS st;  -- read as the view's owner: readers need no internal function

COMMENT ON VIEW tributary.worker_process_status IS
  'Worker processes with their queues, kinds, version, start and last report; live when seen within one lease duration.';

COMMIT;
