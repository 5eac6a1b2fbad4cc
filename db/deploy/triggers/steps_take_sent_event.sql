-- Deploy tributary:triggers/steps_take_sent_event
-- requires: columns/steps_wait
-- requires: tables/events
-- requires: functions/_lock_event
-- requires: functions/_complete_waits
--
-- A wait for an event that began in a transaction takes, at COMMIT, the oldest stored event it
-- waits for (sent before the wait began) and completes with its payload. At COMMIT, not at once:
-- the graph is complete then (create_workflow inserts edges after steps), and the check runs
-- under the event's advisory lock (_lock_event) that send_event takes too, so an event sent by a
-- concurrent transaction is either seen here or sees this wait. A deferred constraint trigger;
-- its function is SECURITY DEFINER (grants/waits), since COMMIT runs as the session's role.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.tg_steps__take_sent_event()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $$
DECLARE
  v_key text := NEW.wait ->> 'key';
  v_event_name text := NEW.wait ->> 'event';
  v_event record;
BEGIN
  PERFORM tributary._lock_event(NEW.workflow_id, v_key, v_event_name);
  PERFORM 1 FROM tributary.steps AS s WHERE s.id = NEW.id AND s.state = 'waiting' FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;  -- its wait already ended in this transaction
  END IF;
  IF v_key IS NULL THEN
    SELECT e.id, e.payload INTO v_event FROM tributary.events AS e
    WHERE e.workflow_id = NEW.workflow_id AND e.event = v_event_name AND e.workflow_id IS NOT NULL
    ORDER BY e.id LIMIT 1
    FOR UPDATE;
  ELSE
    SELECT e.id, e.payload INTO v_event FROM tributary.events AS e
    WHERE e.key = v_key AND e.event = v_event_name AND e.key IS NOT NULL AND e.expires_at > tributary.now()
    ORDER BY e.id LIMIT 1
    FOR UPDATE;
  END IF;
  IF FOUND THEN
    DELETE FROM tributary.events WHERE id = v_event.id;
    PERFORM tributary._complete_waits(ARRAY[NEW.id], ARRAY[v_event.payload]);
  END IF;
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION tributary.tg_steps__take_sent_event() IS
  'Trigger (at COMMIT): a wait for an event that began takes the oldest stored event it waits for, and completes with its payload.';

CREATE CONSTRAINT TRIGGER _900_take_sent_event
  AFTER INSERT OR UPDATE OF state ON tributary.steps
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW
  WHEN (NEW.state = 'waiting' AND NEW.wait ? 'event')
  EXECUTE FUNCTION tributary.tg_steps__take_sent_event();

COMMENT ON TRIGGER _900_take_sent_event ON tributary.steps IS
  'At COMMIT: a wait for an event that began takes an event sent before it (tributary.events), if any.';

COMMIT;
