-- Deploy tributary:functions/create_schedule
-- requires: tables/schedules functions/create_workflow functions/_cron_parse functions/_check_time_zone
-- requires: functions/_schedule_fire_time_after
--
-- Creates a schedule (or, with p_replace, updates the one of that name) and returns its id.
-- Everything is checked up front, in this order, and a refused call leaves nothing behind:
-- TB203 blank name, not exactly one of p_cron and p_every, an interval that is not positive or
-- counts months, a blank workflow name, metadata that is not an object, an unknown overlap or
-- catch-up policy, a catch-up limit below 1 or a negative grace; TB202 unknown time zone; TB201
-- a cron expression that does not parse or never fires; the workflow template is then tried with
-- create_workflow itself in a subtransaction that is always rolled back, so it passes exactly the
-- checks a real creation passes (its error keeps its SQLSTATE, TB001 to TB005, and names the
-- schedule); TB205 the name exists and p_replace is false.
-- The first fire time is the first one at or after now (never before p_starts_at). Replacing keeps
-- next_fire_at, the pause and the last fire time when the timing (cron, time zone, interval, starts_at)
-- is unchanged, so a process that upserts its schedules at every start moves nothing; a new timing
-- starts again from the first fire time at or after now. Locks the schedule row of that name.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.create_schedule(
  p_name text,
  p_workflow_name text,
  p_tasks jsonb,
  p_cron text DEFAULT NULL,
  p_every interval DEFAULT NULL,
  p_time_zone text DEFAULT 'UTC',
  p_metadata jsonb DEFAULT '{}',
  p_overlap text DEFAULT 'skip',
  p_catch_up text DEFAULT 'last',
  p_catch_up_limit integer DEFAULT 10,
  p_catch_up_grace interval DEFAULT '5 minutes',
  p_starts_at timestamptz DEFAULT NULL,
  p_replace boolean DEFAULT false
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_now timestamptz := tributary.now();
  v_new tributary.schedules;
  v_old tributary.schedules;
  v_problem text;
  v_state text;
  v_message text;
  v_detail text;
  v_hint text;
BEGIN
  v_problem := CASE
    WHEN p_name IS NULL OR p_name = '' THEN 'a schedule needs a non-empty name'
    WHEN (p_cron IS NULL) = (p_every IS NULL) THEN 'give exactly one of a cron expression (p_cron) and an interval (p_every)'
    WHEN p_every <= interval '0' THEN pg_catalog.format('the interval must be positive, got %s', p_every)
    WHEN EXTRACT(month FROM p_every) <> 0 OR EXTRACT(year FROM p_every) <> 0
      THEN pg_catalog.format('the interval %s counts months, which have no fixed length; use a cron expression', p_every)
    WHEN p_workflow_name IS NULL OR p_workflow_name = '' THEN 'the workflow template needs a non-empty workflow name'
    WHEN p_metadata IS NOT NULL AND pg_catalog.jsonb_typeof(p_metadata) <> 'object' THEN 'the metadata must be a JSON object'
    WHEN p_overlap IS NULL OR p_overlap NOT IN ('skip', 'allow', 'cancel_previous')
      THEN pg_catalog.format('unknown overlap policy %s (known: skip, allow, cancel_previous)', coalesce(p_overlap, 'NULL'))
    WHEN p_catch_up IS NULL OR p_catch_up NOT IN ('none', 'last', 'all')
      THEN pg_catalog.format('unknown catch-up policy %s (known: none, last, all)', coalesce(p_catch_up, 'NULL'))
    WHEN p_catch_up_limit IS NULL OR p_catch_up_limit < 1
      THEN pg_catalog.format('the catch-up limit must be at least 1, got %s', coalesce(p_catch_up_limit::text, 'NULL'))
    WHEN p_catch_up_grace IS NULL OR p_catch_up_grace < interval '0'
      THEN pg_catalog.format('the catch-up grace must not be negative, got %s', coalesce(p_catch_up_grace::text, 'NULL'))
  END;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION 'schedule "%": %', p_name, v_problem
      USING ERRCODE = 'TB203',
            HINT = 'create_schedule(name, workflow_name, tasks, p_cron => ''0 6 * * *'' or p_every => ''15 minutes'', ...).';
  END IF;
  PERFORM tributary._check_time_zone(p_time_zone);
  IF p_cron IS NOT NULL THEN
    PERFORM tributary._cron_parse(p_cron);
  END IF;

  -- The template passes exactly the checks of a real creation: create one, then roll it back.
  BEGIN
    PERFORM tributary.create_workflow(p_workflow_name, p_tasks, NULL, coalesce(p_metadata, '{}'), NULL);
    RAISE EXCEPTION USING ERRCODE = 'TB299';
  EXCEPTION
    WHEN SQLSTATE 'TB299' THEN
      NULL;
    WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                              v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
      v_message := pg_catalog.format('schedule "%s": invalid workflow template: %s', p_name, v_message);
      IF v_detail IS NULL THEN
        RAISE EXCEPTION '%', v_message USING ERRCODE = v_state, HINT = coalesce(v_hint, '');
      END IF;
      RAISE EXCEPTION '%', v_message USING ERRCODE = v_state, DETAIL = v_detail, HINT = coalesce(v_hint, '');
  END;

  v_new.name := p_name;
  v_new.cron := p_cron;
  v_new.time_zone := p_time_zone;
  v_new.every := p_every;
  LOOP
    IF p_replace THEN
      SELECT * INTO v_old FROM tributary.schedules AS s WHERE s.name = p_name FOR UPDATE;
    END IF;
    IF v_old.id IS NOT NULL
       AND v_old.cron IS NOT DISTINCT FROM p_cron AND v_old.every IS NOT DISTINCT FROM p_every
       AND v_old.time_zone = p_time_zone AND (p_starts_at IS NULL OR p_starts_at = v_old.starts_at) THEN
      v_new.starts_at := v_old.starts_at;
      v_new.next_fire_at := v_old.next_fire_at;
    ELSE
      v_new.starts_at := coalesce(p_starts_at, v_now + pg_catalog.make_interval(secs => EXTRACT(epoch FROM p_every)::double precision), v_now);
      v_new.next_fire_at := tributary._schedule_fire_time_after(v_new, v_now - interval '1 microsecond');
      IF v_new.next_fire_at IS NULL THEN
        RAISE EXCEPTION 'schedule "%": the cron expression "%" never fires', p_name, p_cron
          USING ERRCODE = 'TB201', DETAIL = 'No minute matches it in the 8 years from now.',
                HINT = 'Check the day of month against the month (there is no 30 February).';
      END IF;
    END IF;

    IF v_old.id IS NOT NULL THEN
      UPDATE tributary.schedules AS s
      SET cron = p_cron, time_zone = p_time_zone, every = p_every, starts_at = v_new.starts_at,
          workflow_name = p_workflow_name, tasks = p_tasks, metadata = coalesce(p_metadata, '{}'),
          overlap = p_overlap, catch_up = p_catch_up, catch_up_limit = p_catch_up_limit,
          catch_up_grace = p_catch_up_grace,
          next_fire_at = CASE WHEN s.paused THEN s.next_fire_at ELSE v_new.next_fire_at END,
          updated_at = v_now
      WHERE s.id = v_old.id;
      RETURN v_old.id;
    END IF;

    INSERT INTO tributary.schedules AS s (
      name, cron, time_zone, every, starts_at, workflow_name, tasks, metadata, overlap, catch_up,
      catch_up_limit, catch_up_grace, next_fire_at, created_at, updated_at
    ) VALUES (
      p_name, p_cron, p_time_zone, p_every, v_new.starts_at, p_workflow_name, p_tasks, coalesce(p_metadata, '{}'),
      p_overlap, p_catch_up, p_catch_up_limit, p_catch_up_grace, v_new.next_fire_at, v_now, v_now
    )
    ON CONFLICT ON CONSTRAINT schedules_name_unique DO NOTHING
    RETURNING s.id INTO v_new.id;
    IF v_new.id IS NOT NULL THEN
      RETURN v_new.id;
    END IF;
    IF NOT p_replace THEN
      RAISE EXCEPTION 'schedule "%" already exists', p_name
        USING ERRCODE = 'TB205', HINT = 'Pass p_replace => true to update it, or delete_schedule() it first.';
    END IF;
    -- Another transaction created it since we looked: lock it and update it.
  END LOOP;
END;
$$;

COMMENT ON FUNCTION tributary.create_schedule(text, text, jsonb, text, interval, text, jsonb, text, text, integer, interval, timestamptz, boolean) IS
  'Creates a recurring workflow (cron in a time zone, or an interval) from a template validated like create_workflow; with p_replace, updates the schedule of that name. Errors: TB201 cron, TB202 time zone, TB203 invalid schedule, TB001-TB005 template, TB205 exists.';

COMMIT;
