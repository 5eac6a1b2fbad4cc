-- Deploy tributary:triggers/steps_notify_slot_freed
-- requires: columns/steps_concurrency_key
-- requires: functions/_notify_available
--
-- A running step claimed under a concurrency or rate limit (steps.flow_limited) that stops
-- running, whatever the way (complete, fail, release, rescue, hand-back, cancel), frees a slot:
-- the queue's workers are woken (NOTIFY tributary_slot_freed, the queue as payload, once per
-- queue per transaction) so a waiting step takes the slot without waiting for a poll. A channel
-- of its own: a worker process ignores tributary_step_available notifications its own
-- connections sent (it wakes itself), but a slot freed by its own completion must wake it too.
-- The WHEN clause keeps it off every other update: an unlimited step's end costs nothing more.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.tg_steps__notify_slot_freed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET jit = off
AS $$
BEGIN
  PERFORM pg_catalog.pg_notify('tributary_slot_freed', OLD.queue);
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION tributary.tg_steps__notify_slot_freed() IS
  'Trigger: a step claimed under a limit stopped running; NOTIFY tributary_slot_freed with its queue (a slot is free).';

CREATE TRIGGER _900_notify_slot_freed AFTER UPDATE OF state ON tributary.steps FOR EACH ROW
  WHEN (OLD.state = 'running' AND NEW.state <> 'running' AND OLD.flow_limited)
  EXECUTE FUNCTION tributary.tg_steps__notify_slot_freed();

COMMENT ON TRIGGER _900_notify_slot_freed ON tributary.steps IS
  'Wakes the queue''s workers when a step claimed under a concurrency or rate limit stops running.';

COMMIT;
