-- Deploy tributary:views/workflow_progress
-- requires: tables/steps
--
-- For psql: one row per workflow with its state and how many steps are in each state.
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
       coalesce(w.finalized_at, tributary.now()) - w.created_at AS elapsed
FROM tributary.workflows AS w
CROSS JOIN LATERAL (
  SELECT pg_catalog.count(*) FILTER (WHERE s.state = 'pending') AS pending,
         pg_catalog.count(*) FILTER (WHERE s.state = 'available') AS available,
         pg_catalog.count(*) FILTER (WHERE s.state = 'running') AS running,
         pg_catalog.count(*) FILTER (WHERE s.state = 'completed') AS completed,
         pg_catalog.count(*) FILTER (WHERE s.state = 'discarded') AS discarded,
         pg_catalog.count(*) FILTER (WHERE s.state = 'cancelled') AS cancelled
  FROM tributary.steps AS s
  WHERE s.workflow_id = w.id
) AS c;

COMMENT ON VIEW tributary.workflow_progress IS
  'Per workflow: state and step counts by state (pending, available, running, completed, discarded, cancelled), elapsed time.';

COMMIT;
