-- Deploy tributary:grants/flow_control
-- requires: functions/pause_queue
-- requires: functions/resume_queue
-- requires: functions/hand_back_step
-- requires: grants/admin
-- requires: grants/worker
--
-- The functions of paused queues and hand-backs, added after the grants/* changes: like every
-- entry point they run as their owner, PUBLIC may not call them, and their group roles may.
BEGIN;

ALTER FUNCTION tributary.pause_queue(text) SECURITY DEFINER;
ALTER FUNCTION tributary.resume_queue(text) SECURITY DEFINER;
ALTER FUNCTION tributary.hand_back_step(bigint, integer, text, jsonb) SECURITY DEFINER;
REVOKE ALL ON FUNCTION tributary.pause_queue(text), tributary.resume_queue(text),
  tributary.hand_back_step(bigint, integer, text, jsonb) FROM PUBLIC;

DO $$
BEGIN
  PERFORM tributary._grant('admin', 'EXECUTE ON FUNCTION tributary.pause_queue(text), tributary.resume_queue(text)');
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.hand_back_step(bigint, integer, text, jsonb)');
END
$$;

COMMIT;
