-- Deploy tributary:functions/_backoff
-- requires: functions/_settings
--
-- Delay before the attempt after `p_attempt` failed: p_base * 2^(p_attempt - 1), capped at
-- settings.retry_backoff_cap, then jittered down to between 50% and 100% of that ("equal
-- jitter") so steps that failed together do not retry together. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._backoff(p_attempt integer, p_base interval)
RETURNS interval
LANGUAGE sql
VOLATILE
SET search_path = ''
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
  -- In seconds (double precision), so a large attempt number reaches the cap, never an overflow.
  SELECT pg_catalog.make_interval(secs => LEAST(
           pg_catalog.date_part('epoch', (tributary._settings()).retry_backoff_cap),
           pg_catalog.date_part('epoch', p_base) * pg_catalog.power(2::double precision, LEAST(GREATEST(p_attempt - 1, 0), 1000))
         ) * (0.5 + 0.5 * pg_catalog.random()))
$$;

COMMENT ON FUNCTION tributary._backoff(integer, interval) IS
  'Internal: retry delay after attempt p_attempt failed: base * 2^(attempt-1), capped at settings.retry_backoff_cap, jittered to 50-100%.';

COMMIT;
