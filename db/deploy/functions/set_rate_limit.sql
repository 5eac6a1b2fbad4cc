-- Deploy tributary:functions/set_rate_limit
-- requires: tables/flow_limits
-- requires: functions/_check_flow_target
-- requires: functions/_notify_available
--
-- Sets (or changes) a rate limit: at most p_max_starts claims of steps of a queue (p_scope
-- 'queue') or of a concurrency key (p_scope 'key') per p_period, shared by every worker process.
-- It is a token bucket of capacity p_max_starts refilled continuously at p_max_starts per
-- p_period: a burst of at most p_max_starts, then one start every p_period / p_max_starts; over
-- any span of time t at most p_max_starts * (1 + t / p_period) starts. A new bucket starts full;
-- a changed one keeps its tokens (at most the new capacity). A step over the limit stays
-- available, in its place. Wakes the queue's workers (scope queue), as a raised rate may let a
-- waiting step start. TB223 for a NULL, zero or negative p_max_starts; TB224 for a NULL,
-- zero or negative period or one over a year; TB221/TB222 (see _check_flow_target). Writes one
-- row by primary key.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.set_rate_limit(p_scope text, p_name text, p_max_starts integer, p_period interval)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  PERFORM tributary._check_flow_target(p_scope, p_name);
  IF p_max_starts IS NULL OR p_max_starts < 1 THEN
    RAISE EXCEPTION 'a rate limit allows at least 1 start per period, got % for % %', coalesce(p_max_starts::text, 'NULL'), p_scope, pg_catalog.quote_literal(p_name)
      USING ERRCODE = 'TB223',
            HINT = 'remove_rate_limit() removes a rate limit; pause_queue() stops a queue.';
  END IF;
  IF p_period IS NULL OR p_period <= interval '0' OR p_period > interval '1 year' THEN
    RAISE EXCEPTION 'a rate limit''s period must be over zero and at most a year, got % for % %', coalesce(p_period::text, 'NULL'), p_scope, pg_catalog.quote_literal(p_name)
      USING ERRCODE = 'TB224',
            HINT = 'For example set_rate_limit(''queue'', ''emails'', 100, ''1 minute'').';
  END IF;
  INSERT INTO tributary.flow_limits AS f (scope, name, rate_max_starts, rate_period, updated_at)
  VALUES (p_scope, p_name, p_max_starts, p_period, tributary.now())
  ON CONFLICT (scope, name) DO UPDATE
  SET rate_max_starts = EXCLUDED.rate_max_starts,
      rate_period = EXCLUDED.rate_period,
      tokens = LEAST(f.tokens, EXCLUDED.rate_max_starts),
      updated_at = EXCLUDED.updated_at;
  IF p_scope = 'queue' THEN
    PERFORM tributary._notify_available(ARRAY[p_name]);
  END IF;
END;
$$;

COMMENT ON FUNCTION tributary.set_rate_limit(text, text, integer, interval) IS
  'Sets a rate limit: at most p_max_starts claims per p_period of a queue (scope queue) or concurrency key (scope key), as a token bucket; a step over it waits. TB223 p_max_starts < 1 or NULL; TB224 period <= 0, over a year or NULL; TB221 scope; TB222 name.';

COMMIT;
