-- Deploy tributary:views/expired_leases
-- requires: tables/steps
--
-- Running steps whose lease has lapsed and that no rescue_expired_steps call has taken back yet
-- (the worker died, hung or lost its connection). Reads only the lease index's rows
-- (steps_lease_expiry_idx: running steps), so it stays cheap on a large history.
BEGIN;

CREATE OR REPLACE VIEW tributary.expired_leases AS
SELECT s.id AS step_id,
       s.workflow_id,
       s.task_name,
       s.kind,
       s.queue,
       s.worker_id,
       s.attempt,
       s.lease_expires_at,
       tributary.now() - s.lease_expires_at AS expired_for
FROM tributary.steps AS s
WHERE s.lease_expires_at < tributary.now();

COMMENT ON VIEW tributary.expired_leases IS
  'Running steps whose lease lapsed and that await a rescue: worker, queue, attempt, and for how long the lease has been expired.';

COMMIT;
