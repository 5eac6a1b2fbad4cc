-- Deploy tributary:functions/fire_due_schedules
-- requires: tables/schedules functions/create_workflow functions/cancel_workflow
-- requires: functions/_schedule_due_fire_times functions/_schedule_fire_time_after
--
-- Fires every due fire time of every unpaused schedule, exactly once however many sessions call it at
-- the same time: the due schedule rows are locked FOR UPDATE SKIP LOCKED (a concurrent caller
-- skips them, and one that reaches a row after its commit sees next_fire_at moved past now), and
-- each fire time's workflow is created in the transaction that advances next_fire_at. The workflow's
-- idempotency key 'tributary.schedule:<id>:<fire time>' is a second guard: a fire time whose workflow
-- exists is reported 'already_fired' and not created again.
-- Which due fire times fire is the catch-up policy: none, the newest due fire time if it is at most
-- catch_up_grace late; last, the newest due fire time; all, the newest catch_up_limit due fire times,
-- oldest first. For each, the overlap policy: while the workflow of the previous fire time is running,
-- skip reports the fire time 'skipped', allow creates another, cancel_previous cancels it first. A
-- fire time whose workflow cannot be created is reported 'failed' and recorded in last_error; the
-- other schedules still fire. Returns one row per fire time handled; handles at most p_limit
-- schedules per call, the longest due first. Locks the due schedule rows, then what
-- create_workflow and cancel_workflow lock.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.fire_due_schedules(p_limit integer DEFAULT 100)
RETURNS TABLE (schedule_name text, fire_at timestamptz, workflow_id bigint, outcome text)
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
  v_now timestamptz := tributary.now();
  v_schedule tributary.schedules;
  v_fire_times timestamptz[];
  v_fire_at timestamptz;
  v_fire_text text;
  v_key text;
  v_previous bigint;
  v_created bigint;
  v_last_fire timestamptz;
  v_error text;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 THEN
    RAISE EXCEPTION 'limit must be at least 1, got %', coalesce(p_limit::text, 'NULL')
      USING ERRCODE = 'TB012', HINT = 'fire_due_schedules(p_limit) handles at most p_limit schedules per call.';
  END IF;
  FOR v_schedule IN
    SELECT * FROM tributary.schedules AS s
    WHERE NOT s.paused AND s.next_fire_at <= v_now
    ORDER BY s.next_fire_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  LOOP
    v_fire_times := tributary._schedule_due_fire_times(
      v_schedule, v_now, CASE v_schedule.catch_up WHEN 'all' THEN v_schedule.catch_up_limit ELSE 1 END);
    IF v_schedule.catch_up = 'none' AND v_fire_times[1] < v_now - v_schedule.catch_up_grace THEN
      v_fire_times := '{}';  -- missed while nothing fired: dropped
    END IF;
    v_previous := v_schedule.last_workflow_id;
    v_last_fire := v_schedule.last_fire_at;
    v_error := NULL;
    FOREACH v_fire_at IN ARRAY v_fire_times LOOP
      schedule_name := v_schedule.name;
      fire_at := v_fire_at;
      workflow_id := NULL;
      v_last_fire := v_fire_at;
      v_fire_text := pg_catalog.to_char(v_fire_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
      v_key := pg_catalog.format('tributary.schedule:%s:%s', v_schedule.id, v_fire_text);
      SELECT w.id INTO v_created FROM tributary.workflows AS w WHERE w.idempotency_key = v_key;
      IF FOUND THEN
        workflow_id := v_created;
        outcome := 'already_fired';
        v_previous := v_created;
        RETURN NEXT;
        CONTINUE;
      END IF;
      outcome := 'fired';
      IF v_schedule.overlap <> 'allow' AND v_previous IS NOT NULL
         AND EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.id = v_previous AND w.state = 'running') THEN
        IF v_schedule.overlap = 'skip' THEN
          outcome := 'skipped';
          RETURN NEXT;
          CONTINUE;
        END IF;
        outcome := 'fired_after_cancel';
      END IF;
      BEGIN
        IF outcome = 'fired_after_cancel' THEN
          PERFORM tributary.cancel_workflow(
            v_previous, pg_catalog.format('schedule "%s" fired again at %s', v_schedule.name, v_fire_text));
        END IF;
        v_created := tributary.create_workflow(
          v_schedule.workflow_name, v_schedule.tasks, NULL,
          v_schedule.metadata || pg_catalog.jsonb_build_object('schedule', v_schedule.name, 'fire_at', v_fire_text),
          v_key);
      EXCEPTION WHEN OTHERS THEN
        v_error := pg_catalog.format('fire time %s: %s (SQLSTATE %s)', v_fire_text, SQLERRM, SQLSTATE);
        outcome := 'failed';
        RETURN NEXT;
        CONTINUE;
      END;
      v_previous := v_created;
      v_error := NULL;
      workflow_id := v_created;
      RETURN NEXT;
    END LOOP;
    UPDATE tributary.schedules AS s
    SET next_fire_at = coalesce(tributary._schedule_fire_time_after(v_schedule, v_now), 'infinity'),
        last_fire_at = v_last_fire,
        last_workflow_id = v_previous,
        last_error = v_error,
        updated_at = v_now
    WHERE s.id = v_schedule.id;
  END LOOP;
END;
$$;

COMMENT ON FUNCTION tributary.fire_due_schedules(integer) IS
  'Fires every due fire time of every unpaused schedule exactly once (rows locked FOR UPDATE SKIP LOCKED, next_fire_at advanced in the same transaction); one row per fire time: fired, fired_after_cancel, skipped, already_fired or failed. Call it every minute (workers do; or pg_cron).';

COMMIT;
