-- Deploy tributary:functions/hand_back_step
-- requires: functions/_check_attempt functions/_fail_attempt functions/_notify_available
-- requires: columns/settings_hand_back
--
-- A worker process gives back a step it claimed but cannot run, so that another process runs
-- it: p_reason 'unknown_kind' (no worker registered for its kind, e.g. during a rolling deploy)
-- or 'missing_key' (its payloads are sealed with a key this process does not have). The attempt
-- does not count (max_attempts grows by one, as for release_steps; attempt numbers keep growing,
-- so the handed-back attempt stays fenced out) and the step is claimable again after
-- settings.hand_back_delay. Consecutive hand-backs of a step form a streak, recorded as ONE entry
-- of its error history (the last one), updated at each hand-back: reason, since (the streak's
-- first hand-back), hand_backs (how many), at, worker_id, and p_error's message. Once
-- settings.hand_back_grace has passed since the streak's first hand-back, the step is discarded
-- instead (its dependents cancelled, as fail_step does) with a message saying that no worker
-- process could run it for that long. Any other entry (a real failure, a release) ends the
-- streak. Returns the step's new state: 'available' or 'discarded'. Fenced like fail_step: TB006
-- unknown step, TB007 stale attempt, TB008 cancelled; TB012 for another reason. Locks the step
-- row; reads only its last error entry.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.hand_back_step(
  p_step_id bigint,
  p_attempt integer,
  p_reason text,
  p_error jsonb DEFAULT NULL
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
DECLARE
  v_now timestamptz := tributary.now();
  v_settings tributary.settings := tributary._settings();
  v_step tributary.steps;
  v_last jsonb;
  v_streak boolean;
  v_since timestamptz;
  v_count integer;
  v_message text;
  v_entry jsonb;
BEGIN
  IF p_reason IS NULL OR p_reason NOT IN ('unknown_kind', 'missing_key') THEN
    RAISE EXCEPTION 'hand-back reason must be unknown_kind or missing_key, got %', pg_catalog.quote_nullable(p_reason)
      USING ERRCODE = 'TB012';
  END IF;
  v_step := tributary._check_attempt(p_step_id, p_attempt);

  v_last := v_step.errors -> -1;
  v_streak := v_last ->> 'reason' = p_reason AND v_last ->> 'handed_back' = 'true';
  v_since := CASE WHEN v_streak THEN (v_last ->> 'since')::timestamptz ELSE v_now END;
  v_count := CASE WHEN v_streak THEN (v_last ->> 'hand_backs')::integer + 1 ELSE 1 END;
  v_message := CASE pg_catalog.jsonb_typeof(p_error)
                 WHEN 'object' THEN p_error ->> 'message'
                 ELSE p_error #>> '{}'
               END;
  v_entry := CASE WHEN pg_catalog.jsonb_typeof(p_error) = 'object' THEN p_error ELSE '{}'::jsonb END
             || pg_catalog.jsonb_build_object(
                  'message', coalesce(v_message, p_reason), 'reason', p_reason, 'handed_back', true,
                  'since', v_since, 'hand_backs', v_count,
                  'attempt', v_step.attempt, 'at', v_now, 'worker_id', v_step.worker_id, 'retryable', true);

  IF v_streak THEN  -- the streak keeps one entry: the last one is replaced
    UPDATE tributary.steps SET errors = errors - (-1) WHERE id = v_step.id;
  END IF;

  IF v_now - v_since >= v_settings.hand_back_grace THEN
    RETURN tributary._fail_attempt(
      v_step,
      v_entry || pg_catalog.jsonb_build_object(
        'handed_back', false,
        'message', CASE p_reason
          WHEN 'unknown_kind' THEN pg_catalog.format(
            'no worker process could run kind "%s" (task "%s") for %s: none has a worker registered for it',
            v_step.kind, v_step.task_name, v_now - v_since)
          ELSE pg_catalog.format(
            'no worker process could open the payloads of task "%s" for %s: none has the key they are sealed with',
            v_step.task_name, v_now - v_since)
        END,
        'last_error', v_message),
      false);
  END IF;

  UPDATE tributary.steps
  SET state = 'available',
      scheduled_at = v_now + v_settings.hand_back_delay,
      max_attempts = max_attempts + 1,
      errors = errors || v_entry,
      lease_expires_at = NULL,
      deadline_at = NULL
  WHERE id = v_step.id;
  IF v_settings.hand_back_delay <= interval '0' THEN
    PERFORM tributary._notify_available(ARRAY[v_step.queue]);
  END IF;
  RETURN 'available';
END;
$$;

COMMENT ON FUNCTION tributary.hand_back_step(bigint, integer, text, jsonb) IS
  'A worker process gives back a step it cannot run (p_reason unknown_kind or missing_key): claimable again after settings.hand_back_delay, the attempt not counted; discarded once settings.hand_back_grace has passed since the first hand-back of the streak. Returns available | discarded. TB006, TB007, TB008 as fail_step; TB012 bad reason.';

COMMIT;
