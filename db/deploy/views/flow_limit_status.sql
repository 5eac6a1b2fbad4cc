-- Deploy tributary:views/flow_limit_status
-- requires: tables/flow_limits
-- requires: columns/steps_concurrency_key
-- requires: roles/reader
-- requires: functions/_grant
--
-- For psql, `tributary queues` and `tributary status`: every concurrency and rate limit, with
-- how many steps of its queue or key run now (counted on the running-steps indexes) and the
-- tokens its bucket holds now. An operator's read, never on a worker's path.
BEGIN;

CREATE OR REPLACE VIEW tributary.flow_limit_status AS
SELECT f.scope, f.name, f.max_running,
       CASE f.scope
         WHEN 'queue' THEN (SELECT pg_catalog.count(*) FROM tributary.steps AS s WHERE s.lease_expires_at > '-infinity' AND s.queue = f.name)
         ELSE (SELECT pg_catalog.count(*) FROM tributary.steps AS s WHERE s.lease_expires_at IS NOT NULL AND s.concurrency_key = f.name)
       END AS running,
       f.rate_max_starts, f.rate_period,
       CASE WHEN f.rate_max_starts IS NOT NULL THEN
         LEAST(f.rate_max_starts::double precision,
               coalesce(f.tokens + GREATEST(0, pg_catalog.date_part('epoch', tributary.now() - f.tokens_at))
                          / pg_catalog.date_part('epoch', f.rate_period) * f.rate_max_starts,
                        f.rate_max_starts))
       END AS tokens,
       f.updated_at
FROM tributary.flow_limits AS f;

SELECT tributary._grant('reader', 'SELECT ON tributary.flow_limit_status');

COMMENT ON VIEW tributary.flow_limit_status IS
  'Every concurrency and rate limit (scope queue or key), the steps of its queue or key running now, and the tokens its rate bucket holds now.';

COMMIT;
