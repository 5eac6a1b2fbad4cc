-- Revert tributary:views/queue_depths (back to views/queue_depths@v0.1.0)
--
-- A view cannot lose a column in place: the view is dropped and created again as it was, with
-- unserved_queues, which reads it (both exactly as their deploy scripts made them).
BEGIN;

DROP VIEW tributary.unserved_queues;
DROP VIEW tributary.queue_depths;

CREATE OR REPLACE VIEW tributary.queue_depths AS
SELECT s.queue,
       pg_catalog.count(*) FILTER (WHERE s.state = 'available' AND s.scheduled_at <= tributary.now()) AS ready,
       pg_catalog.count(*) FILTER (WHERE s.state = 'available' AND s.scheduled_at > tributary.now()) AS scheduled,
       pg_catalog.count(*) FILTER (WHERE s.state = 'running') AS running,
       tributary.now() - pg_catalog.min(s.scheduled_at) FILTER (WHERE s.state = 'available' AND s.scheduled_at <= tributary.now()) AS oldest_ready_age
FROM tributary.steps AS s
WHERE s.state IN ('available', 'running')
GROUP BY s.queue;

COMMENT ON VIEW tributary.queue_depths IS
  'Per queue: steps ready now, scheduled for later (delay or backoff), running, and the age of the oldest ready step.';

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
