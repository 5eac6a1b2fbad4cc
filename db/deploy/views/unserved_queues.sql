-- Deploy tributary:views/unserved_queues
-- requires: views/queue_depths views/worker_process_status
--
-- Queues with steps ready now and no live worker process serving them: work nobody will take
-- until a process for that queue starts. Read by Client.wait's timeout and `tributary status`.
BEGIN;

CREATE OR REPLACE VIEW tributary.unserved_queues AS
SELECT d.queue, d.ready, d.oldest_ready_age
FROM tributary.queue_depths AS d
WHERE d.ready > 0
  AND NOT EXISTS (
    SELECT 1 FROM tributary.worker_process_status AS w WHERE w.live AND d.queue = ANY (w.queues)
  );

COMMENT ON VIEW tributary.unserved_queues IS
  'Queues with steps ready now and no live worker process serving them (no process reported that queue within one lease).';

COMMIT;
