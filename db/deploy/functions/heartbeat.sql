-- Deploy tributary:functions/heartbeat
-- requires: tables/steps
-- requires: functions/_settings
--
-- Extends the lease of a running step to now() + settings.lease_duration (never past its
-- deadline). Returns false -- and
-- extends nothing -- when the attempt no longer holds the step (cancelled, rescued, retried,
-- finished) or its deadline (timeout) has passed: the worker should stop. Raises TB006 for an
-- unknown step. Locks the step row.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.heartbeat(p_step_id bigint, p_attempt integer)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_lease interval := (tributary._settings()).lease_duration;
BEGIN
  UPDATE tributary.steps AS s
  SET lease_expires_at = LEAST(v_now + v_lease, s.deadline_at)
  WHERE s.id = p_step_id AND s.attempt = p_attempt AND s.state = 'running'
    AND (s.deadline_at IS NULL OR s.deadline_at > v_now);
  IF FOUND THEN
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
