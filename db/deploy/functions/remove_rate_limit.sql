-- Deploy tributary:functions/remove_rate_limit
-- requires: tables/flow_limits
-- requires: functions/_check_flow_target
-- requires: functions/_notify_available
--
-- Removes the rate limit of a queue or concurrency key (its concurrency limit, if any, stays).
-- Returns false, changing nothing, when it had none. Wakes the queue's workers (scope queue).
-- TB221/TB222 (see _check_flow_target). Writes or deletes one row by primary key.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.remove_rate_limit(p_scope text, p_name text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  PERFORM tributary._check_flow_target(p_scope, p_name);
  DELETE FROM tributary.flow_limits AS f
  WHERE f.scope = p_scope AND f.name = p_name AND f.rate_max_starts IS NOT NULL AND f.max_running IS NULL;
  IF NOT FOUND THEN
    UPDATE tributary.flow_limits AS f
    SET rate_max_starts = NULL, rate_period = NULL, tokens = NULL, tokens_at = NULL, updated_at = tributary.now()
    WHERE f.scope = p_scope AND f.name = p_name AND f.rate_max_starts IS NOT NULL;
  END IF;
  IF FOUND AND p_scope = 'queue' THEN
    PERFORM tributary._notify_available(ARRAY[p_name]);
  END IF;
  RETURN FOUND;
END;
$$;

COMMENT ON FUNCTION tributary.remove_rate_limit(text, text) IS
  'Removes the rate limit of a queue or concurrency key (a concurrency limit stays); false if it had none. TB221 scope; TB222 name.';

COMMIT;
