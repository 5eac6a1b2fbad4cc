-- Revert tributary:views/workflow_progress (back to views/workflow_progress@v0.1.0)
--
-- A view cannot lose a column in place: the view is dropped and created again as it was, and
-- granted again to readers (grants/reader granted it).
BEGIN;

DROP VIEW tributary.workflow_progress;

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

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM tributary.roles WHERE purpose = 'reader') THEN
    PERFORM tributary._grant('reader', 'SELECT ON tributary.workflow_progress');
  END IF;
END
$$;

COMMIT;
