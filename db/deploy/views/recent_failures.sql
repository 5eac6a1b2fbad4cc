-- Deploy tributary:views/recent_failures
-- requires: tables/steps
--
-- For psql: steps whose last failed attempt happened in the past day, newest first, with the
-- last error's message and the step's current state.
BEGIN;

CREATE OR REPLACE VIEW tributary.recent_failures AS
SELECT s.id AS step_id,
       s.workflow_id,
       s.task_name,
       s.kind,
       s.state,
       s.attempt,
       s.max_attempts,
       (s.errors -> -1 ->> 'at')::timestamptz AS failed_at,
       s.errors -> -1 ->> 'message' AS message,
       s.errors -> -1 AS error
FROM tributary.steps AS s
WHERE s.errors <> '[]'::jsonb
  AND (s.errors -> -1 ->> 'at')::timestamptz > tributary.now() - interval '1 day'
ORDER BY failed_at DESC;

COMMENT ON VIEW tributary.recent_failures IS
  'Steps that failed an attempt in the past day, newest first: state, attempts and the last error.';

COMMIT;
