-- Deploy tributary:views/queue_depths
-- requires: tables/steps
--
-- For psql: per queue, how many steps are ready now, waiting for their scheduled time (delayed
-- or backing off), running, and how long the oldest ready step has waited. Reads only the
-- ready and lease partial indexes' rows (available and running steps).
BEGIN;

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

COMMIT;
