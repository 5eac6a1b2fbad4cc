-- Deploy tributary:functions/complete_step
-- requires: functions/_check_attempt
-- requires: functions/complete_steps
--
-- Completes one step: stores its result, marks it completed, unlocks dependents whose
-- dependencies are now all completed, finalizes the workflow when it was the last step.
-- Fenced: only the attempt that holds the step may complete it; any other call changes nothing
-- and raises TB007 (stale attempt), TB008 (cancelled) or TB006 (no such step).
BEGIN;

CREATE OR REPLACE FUNCTION tributary.complete_step(
  p_step_id bigint,
  p_attempt integer,
  p_result jsonb DEFAULT NULL
)
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
  PERFORM tributary._check_attempt(p_step_id, p_attempt);
  PERFORM tributary.complete_steps(ARRAY[p_step_id], ARRAY[p_attempt], ARRAY[p_result]);
END;
$$;

COMMENT ON FUNCTION tributary.complete_step(bigint, integer, jsonb) IS
  'Completes a step''s attempt with a result, unlocks dependents, finalizes the workflow when last. Raises TB007 stale attempt, TB008 cancelled, TB006 unknown step.';

COMMIT;
