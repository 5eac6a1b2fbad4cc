-- Deploy tributary:views/queue_depths
-- requires: views/queue_depths@v0.1.0 tables/paused_queues
--
-- For psql: per queue, how many steps are ready now, waiting for their scheduled time (delayed
-- or backing off), running, how long the oldest ready step has waited, and whether the queue is
-- paused (pause_queue). A paused queue has a row even when it has no available or running step.
-- Reads only the ready and lease partial indexes' rows (available and running steps) and the
-- few rows of paused_queues.
BEGIN;

CREATE OR REPLACE VIEW tributary.queue_depths AS
WITH depths AS (
  SELECT s.queue,
         pg_catalog.count(*) FILTER (WHERE s.state = 'available' AND s.scheduled_at <= tributary.now()) AS ready,
         pg_catalog.count(*) FILTER (WHERE s.state = 'available' AND s.scheduled_at > tributary.now()) AS scheduled,
         pg_catalog.count(*) FILTER (WHERE s.state = 'running') AS running,
         tributary.now() - pg_catalog.min(s.scheduled_at) FILTER (WHERE s.state = 'available' AND s.scheduled_at <= tributary.now()) AS oldest_ready_age
  FROM (  -- one branch per partial index: never a scan of finished history
    SELECT a.queue, a.state, a.scheduled_at FROM tributary.steps AS a WHERE a.state = 'available'
    UNION ALL
    SELECT r.queue, r.state, r.scheduled_at FROM tributary.steps AS r WHERE r.lease_expires_at IS NOT NULL
  ) AS s  -- a step has a lease exactly while it runs (steps_lease_set_iff_running)
  GROUP BY s.queue
)
SELECT COALESCE(d.queue, p.queue) AS queue,
       COALESCE(d.ready, 0) AS ready,
       COALESCE(d.scheduled, 0) AS scheduled,
       COALESCE(d.running, 0) AS running,
       d.oldest_ready_age,
       p.queue IS NOT NULL AS paused
FROM depths AS d
FULL JOIN tributary.paused_queues AS p ON p.queue = d.queue;

COMMENT ON VIEW tributary.queue_depths IS
  'Per queue: steps ready now, scheduled for later (delay or backoff), running, the age of the oldest ready step, and whether the queue is paused (a paused queue has a row even without steps).';

COMMIT;
