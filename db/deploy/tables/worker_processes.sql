-- Deploy tributary:tables/worker_processes
-- requires: functions/now
--
-- The live-workers registry: one row per worker process (a Client running its runtime), kept
-- current by the runtime at start and at each heartbeat, deleted at a graceful stop. A process
-- killed without a stop leaves its row until prune_worker_processes() takes it; until then the
-- view worker_process_status shows it as not live (not seen within one lease).
BEGIN;

CREATE TABLE tributary.worker_processes (
  worker_id text PRIMARY KEY,
  host text NOT NULL,
  pid integer NOT NULL,
  queues text[] NOT NULL,
  kinds text[] NOT NULL,
  package_version text NOT NULL,
  started_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  CONSTRAINT worker_processes_worker_id_length CHECK (pg_catalog.length(worker_id) BETWEEN 1 AND 200),
  CONSTRAINT worker_processes_host_length CHECK (pg_catalog.length(host) <= 255),
  CONSTRAINT worker_processes_version_length CHECK (pg_catalog.length(package_version) <= 64),
  CONSTRAINT worker_processes_queues_bounded CHECK (pg_catalog.cardinality(queues) <= 1000),
  CONSTRAINT worker_processes_kinds_bounded CHECK (pg_catalog.cardinality(kinds) <= 10000)
);

COMMENT ON TABLE tributary.worker_processes IS
  'Worker processes that reported themselves: id, host, pid, queues they serve, kinds they run, package version, start and last report. Written by report_worker_process and forget_worker_process only.';

COMMIT;
