-- Deploy tributary:functions/heartbeat
-- requires: functions/heartbeat_steps
--
-- Extends the lease of a running step to now() + settings.lease_duration (never past its
-- deadline). Returns false -- and extends nothing -- when the attempt no longer holds the step (cancelled, rescued, retried,
-- finished) or its deadline (timeout) has passed: the worker should stop. Raises TB006 for an
-- unknown step. The lease rule lives in heartbeat_steps(); this is its one-step form.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.heartbeat(p_step_id bigint, p_attempt integer)
RETURNS boolean
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
  IF EXISTS (SELECT 1 FROM tributary.heartbeat_steps(ARRAY[p_step_id], ARRAY[p_attempt])) THEN
    RETURN true;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM tributary.steps AS s WHERE s.id = p_step_id) THEN
    RAISE EXCEPTION 'step % does not exist', p_step_id USING ERRCODE = 'TB006';
  END IF;
  RETURN false;
END;
$$;

COMMENT ON FUNCTION tributary.heartbeat(bigint, integer) IS
  'Extends a running step''s lease; false when the attempt lost the step (cancelled, rescued, finished) or passed its timeout. TB006 unknown step.';

COMMIT;
