-- Deploy tributary:views/workflow_counts
-- requires: tables/workflows roles/reader functions/_grant
--
-- For psql and `tributary status`: how many workflows are in each state. It counts every row of
-- workflows (history included): cheap while finished workflows are pruned, an operator's read,
-- never on a worker's path.
BEGIN;

CREATE OR REPLACE VIEW tributary.workflow_counts AS
SELECT w.state, pg_catalog.count(*) AS count
FROM tributary.workflows AS w
GROUP BY w.state;

SELECT tributary._grant('reader', 'SELECT ON tributary.workflow_counts');

COMMENT ON VIEW tributary.workflow_counts IS
  'How many workflows are in each state (running, completed, failed, cancelled); counts every workflow not pruned yet.';

COMMIT;
