-- Deploy tributary:functions/fail_step
-- requires: functions/_check_attempt
-- requires: functions/_fail_attempt
--
-- Reports a failed attempt. p_error is a jsonb object (conventionally {"message", "detail",
-- "traceback"}) or a plain string. Appends it to the step's error history; when p_retryable
-- and attempts remain, the step becomes claimable again at now() + backoff (exponential, with
-- jitter, capped); otherwise it is discarded, every step downstream of it is cancelled and the
-- workflow finalizes once nothing can run any more. Returns the new state ('available' or
-- 'discarded'). Fenced like complete_step: TB007 stale, TB008 cancelled, TB006 unknown step.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.fail_step(
  p_step_id bigint,
  p_attempt integer,
  p_error jsonb,
  p_retryable boolean DEFAULT true
)
RETURNS text
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
  RETURN tributary._fail_attempt(tributary._check_attempt(p_step_id, p_attempt), p_error, p_retryable);
END;
$$;

COMMENT ON FUNCTION tributary.fail_step(bigint, integer, jsonb, boolean) IS
  'Reports a failed attempt: retry after backoff when retryable with attempts left, else discard and cancel downstream steps. Returns available | discarded. Raises TB007 stale, TB008 cancelled, TB006 unknown step.';

COMMIT;
