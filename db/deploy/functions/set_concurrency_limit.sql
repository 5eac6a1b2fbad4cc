-- Deploy tributary:functions/set_concurrency_limit
-- requires: tables/flow_limits
-- requires: functions/_check_flow_target
-- requires: functions/_notify_available
--
-- Sets (or changes) a global concurrency limit: at most p_max_running running steps of a queue
-- (p_scope 'queue') or of the steps carrying a concurrency key (p_scope 'key'), across every
-- worker process. Takes effect for the claims that start after this commits; steps already
-- running are never stopped, so a limit lowered below the running count lets no new step of the
-- queue or key start until fewer than the limit run. Wakes the queue's workers (scope queue), as
-- a raised limit may free slots. TB220 for a NULL, zero or negative limit; TB221/TB222 (see
-- _check_flow_target). Writes one row by primary key.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.set_concurrency_limit(p_scope text, p_name text, p_max_running integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  PERFORM tributary._check_flow_target(p_scope, p_name);
  IF p_max_running IS NULL OR p_max_running < 1 THEN
    RAISE EXCEPTION 'a concurrency limit must be at least 1, got % for % %', coalesce(p_max_running::text, 'NULL'), p_scope, pg_catalog.quote_literal(p_name)
      USING ERRCODE = 'TB220',
            HINT = 'remove_concurrency_limit() removes a limit; pause_queue() stops a queue.';
  END IF;
  INSERT INTO tributary.flow_limits AS f (scope, name, max_running, updated_at)
  VALUES (p_scope, p_name, p_max_running, tributary.now())
  ON CONFLICT (scope, name) DO UPDATE SET max_running = EXCLUDED.max_running, updated_at = EXCLUDED.updated_at;
  IF p_scope = 'queue' THEN
    PERFORM tributary._notify_available(ARRAY[p_name]);
  END IF;
END;
$$;

COMMENT ON FUNCTION tributary.set_concurrency_limit(text, text, integer) IS
  'Sets a global concurrency limit: at most p_max_running running steps of a queue (scope queue) or concurrency key (scope key). Running steps are never stopped. TB220 limit < 1 or NULL; TB221 scope; TB222 name.';

COMMIT;
