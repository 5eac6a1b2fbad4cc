-- Deploy tributary:triggers/steps_begin_wait
-- requires: columns/steps_wait
--
-- A wait or sleep step (steps.wait set) that becomes ready (available: created without
-- dependencies, unlocked, or reopened by a retry) enters waiting instead, and its timer is set:
-- wake_at = the later of now and scheduled_at, plus the sleep or the wait's timeout; the
-- sleep_until timestamp itself for sleep_until; NULL for a wait without timeout. Runs after
-- _010_guard_update (triggers fire in name order). Nothing else.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.tg_steps__begin_wait()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_from timestamptz := GREATEST(tributary.now(), NEW.scheduled_at);
BEGIN
  NEW.state := 'waiting';
  NEW.wake_at := CASE
                   WHEN NEW.wait ? 'sleep_until' THEN (NEW.wait ->> 'sleep_until')::timestamptz
                   WHEN NEW.wait ? 'sleep' THEN v_from + (NEW.wait ->> 'sleep')::interval
                   ELSE v_from + (NEW.wait ->> 'timeout')::interval
                 END;
  RETURN NEW;
END;
$$;

COMMENT ON FUNCTION tributary.tg_steps__begin_wait() IS
  'Trigger: a wait or sleep step that becomes available enters waiting instead, with wake_at set from its sleep or timeout.';

CREATE TRIGGER _020_begin_wait
  BEFORE INSERT OR UPDATE OF state ON tributary.steps
  FOR EACH ROW
  WHEN (NEW.state = 'available' AND NEW.wait IS NOT NULL)
  EXECUTE FUNCTION tributary.tg_steps__begin_wait();

COMMENT ON TRIGGER _020_begin_wait ON tributary.steps IS
  'A wait or sleep step that becomes ready enters waiting (never available to workers) and gets its timer.';

COMMIT;
