-- Revert tributary:functions/_notify_available to its @v0.1.0 form
-- requires: schema
--
-- Sends one notification per queue on channel tributary_step_available (payload: the queue
-- name). Identical notifications in one transaction coalesce, so a worker listening on the
-- channel wakes once per queue per transaction. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._notify_available(p_queues text[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
BEGIN
  PERFORM pg_catalog.pg_notify('tributary_step_available', q)
  FROM (SELECT DISTINCT u.q FROM pg_catalog.unnest(p_queues) AS u(q) WHERE u.q IS NOT NULL) AS queues;
END;
$$;

COMMENT ON FUNCTION tributary._notify_available(text[]) IS
  'Internal: NOTIFY tributary_step_available once per queue (payload: queue name).';

COMMIT;
