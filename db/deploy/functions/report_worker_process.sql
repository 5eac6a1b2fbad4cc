-- Deploy tributary:functions/report_worker_process
-- requires: tables/worker_processes
--
-- A worker process says it is alive: inserts its row (started now) or refreshes it (queues,
-- kinds and version as given, last seen now), and learns the lease the engine grants
-- (settings.lease_duration), which its heartbeat follows. Called by the runtime at start and at
-- every heartbeat. Locks that one row.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.report_worker_process(
  p_worker_id text,
  p_host text,
  p_pid integer,
  p_queues text[],
  p_kinds text[],
  p_package_version text
)
RETURNS interval
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
BEGIN
  IF p_worker_id IS NULL OR p_host IS NULL OR p_pid IS NULL OR p_queues IS NULL OR p_kinds IS NULL
     OR p_package_version IS NULL THEN
    RAISE EXCEPTION 'report_worker_process: every argument is required'
      USING ERRCODE = 'TB012', HINT = 'pass the worker id, host, pid, queues, kinds and package version';
  END IF;
  INSERT INTO tributary.worker_processes AS w
    (worker_id, host, pid, queues, kinds, package_version, started_at, last_seen_at)
  VALUES (p_worker_id, p_host, p_pid, p_queues, p_kinds, p_package_version, v_now, v_now)
  ON CONFLICT (worker_id) DO UPDATE
    SET host = excluded.host, pid = excluded.pid, queues = excluded.queues, kinds = excluded.kinds,
        package_version = excluded.package_version, last_seen_at = v_now,
        started_at = CASE WHEN w.pid = excluded.pid AND w.host = excluded.host THEN w.started_at ELSE v_now END;
  RETURN (tributary._settings()).lease_duration;
END;
$$;

COMMENT ON FUNCTION tributary.report_worker_process(text, text, integer, text[], text[], text) IS
  'A worker process reports itself alive (at start and at every heartbeat): its host, pid, queues, kinds and package version. Returns the lease the engine grants (settings.lease_duration).';

COMMIT;
