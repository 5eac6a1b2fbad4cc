-- Deploy tributary:functions/remove_concurrency_limit
-- requires: tables/flow_limits
-- requires: functions/_check_flow_target
-- requires: functions/_notify_available
--
-- Removes the concurrency limit of a queue or concurrency key (its rate limit, if any, stays).
-- Returns false, changing nothing, when it had none. Wakes the queue's workers (scope queue).
-- TB221/TB222 (see _check_flow_target). Writes or deletes one row by primary key.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.remove_concurrency_limit(p_scope text, p_name text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  PERFORM tributary._check_flow_target(p_scope, p_name);
  DELETE FROM tributary.flow_limits AS f
  WHERE f.scope = p_scope AND f.name = p_name AND f.max_running IS NOT NULL AND f.rate_max_starts IS NULL;
  IF NOT FOUND THEN
    UPDATE tributary.flow_limits AS f SET max_running = NULL, updated_at = tributary.now()
    WHERE f.scope = p_scope AND f.name = p_name AND f.max_running IS NOT NULL;
  END IF;
  IF FOUND AND p_scope = 'queue' THEN
    PERFORM tributary._notify_available(ARRAY[p_name]);
  END IF;
  RETURN FOUND;
END;
$$;

COMMENT ON FUNCTION tributary.remove_concurrency_limit(text, text) IS
  'Removes the concurrency limit of a queue or concurrency key (a rate limit stays); false if it had none. TB221 scope; TB222 name.';

COMMIT;
