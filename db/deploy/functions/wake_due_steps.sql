-- Deploy tributary:functions/wake_due_steps
-- requires: columns/steps_wait
-- requires: tables/events
-- requires: functions/_complete_waits
-- requires: functions/_fail_attempt
--
-- Ends the waits whose timer is due (wake_at <= now), at most p_limit of them, oldest first:
-- a sleep completes (result NULL); a wait for an event that timed out completes with its
-- declared default (on_timeout {"default": ...}) or is discarded (on_timeout "fail", the
-- default): its downstream steps are cancelled and the workflow settles as for any discarded
-- step. Then deletes up to p_limit keyed events past their expires_at. Returns the number of
-- steps woken. Safe to call from every worker at once and from pg_cron: steps and events are
-- taken with SKIP LOCKED, so two callers never wake the same step, and a step whose event is
-- being delivered right now is left to the event. One indexed statement finds the due steps
-- (steps_wake_idx holds only waiting steps with a timer): nothing polls per waiting step.
-- TB012 for a p_limit below 1.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.wake_due_steps(p_limit integer DEFAULT 1000)
RETURNS integer
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
  v_step tributary.steps;
  v_ids bigint[] := '{}';
  v_results jsonb[] := '{}';
  v_woken integer := 0;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 THEN
    RAISE EXCEPTION 'p_limit must be at least 1' USING ERRCODE = 'TB012';
  END IF;
  FOR v_step IN
    SELECT * FROM tributary.steps AS s
    WHERE s.wake_at <= v_now AND s.wake_at IS NOT NULL
    ORDER BY s.wake_at
    LIMIT p_limit
    FOR NO KEY UPDATE SKIP LOCKED
  LOOP
    CONTINUE WHEN v_step.state <> 'waiting';
    v_woken := v_woken + 1;
    IF v_step.wait ? 'event' AND v_step.wait -> 'on_timeout' = '"fail"' THEN
      UPDATE tributary.steps SET wake_at = NULL WHERE id = v_step.id;
      v_step.wake_at := NULL;
      PERFORM tributary._fail_attempt(
        v_step,
        pg_catalog.jsonb_build_object(
          'message', pg_catalog.format('timed out after %s waiting for event "%s"', v_step.wait ->> 'timeout', v_step.wait ->> 'event'),
          'event', v_step.wait ->> 'event', 'key', v_step.wait -> 'key', 'timeout', v_step.wait ->> 'timeout'),
        false);
    ELSE
      v_ids := v_ids || v_step.id;
      v_results := v_results || (v_step.wait -> 'on_timeout' -> 'default');  -- NULL for a sleep
    END IF;
  END LOOP;
  IF pg_catalog.cardinality(v_ids) > 0 THEN
    PERFORM tributary._complete_waits(v_ids, v_results);
  END IF;

  DELETE FROM tributary.events
  WHERE id IN (SELECT e.id FROM tributary.events AS e
               WHERE e.expires_at <= v_now AND e.expires_at IS NOT NULL
               ORDER BY e.expires_at
               LIMIT p_limit
               FOR UPDATE SKIP LOCKED);
  RETURN v_woken;
END;
$$;

COMMENT ON FUNCTION tributary.wake_due_steps(integer) IS
  'Ends up to p_limit waits whose timer is due: sleeps complete, timed-out waits complete with their default or are discarded; deletes expired keyed events. Returns steps woken. SKIP LOCKED: safe from every worker and pg_cron. TB012 for p_limit < 1.';

COMMIT;
