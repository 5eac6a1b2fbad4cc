-- Deploy tributary:views/workflow_progress
-- requires: views/workflow_progress@v0.1.0
-- requires: tables/steps_state_skipped
-- requires: tables/steps_state_waiting
--
-- For psql: one row per workflow with its state and how many steps are in each state. skipped
-- (branches not taken) and waiting (waits, sleeps, steps waiting for a child workflow) are the
-- last columns, so that the view is replaced in place.
BEGIN;

CREATE OR REPLACE VIEW tributary.workflow_progress AS
SELECT w.id,
       w.name,
       w.state,
       w.steps_total,
       c.pending,
       c.available,
       c.running,
       c.completed,
       c.discarded,
       c.cancelled,
       w.created_at,
       w.finalized_at,
       coalesce(w.finalized_at, tributary.now()) - w.created_at AS elapsed,
       c.skipped,
       c.waiting
FROM tributary.workflows AS w
CROSS JOIN LATERAL (
  SELECT pg_catalog.count(*) FILTER (WHERE s.state = 'pending') AS pending,
         pg_catalog.count(*) FILTER (WHERE s.state = 'available') AS available,
         pg_catalog.count(*) FILTER (WHERE s.state = 'running') AS running,
         pg_catalog.count(*) FILTER (WHERE s.state = 'completed') AS completed,
         pg_catalog.count(*) FILTER (WHERE s.state = 'discarded') AS discarded,
         pg_catalog.count(*) FILTER (WHERE s.state = 'cancelled') AS cancelled,
         pg_catalog.count(*) FILTER (WHERE s.state = 'skipped') AS skipped,
         pg_catalog.count(*) FILTER (WHERE s.state = 'waiting') AS waiting
  FROM tributary.steps AS s
  WHERE s.workflow_id = w.id
) AS c;

COMMENT ON VIEW tributary.workflow_progress IS
  'Per workflow: state and step counts by state (pending, available, running, completed, discarded, cancelled, skipped, waiting), elapsed time.';

COMMIT;
