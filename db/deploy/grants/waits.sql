-- Deploy tributary:grants/waits
-- requires: functions/send_event
-- requires: functions/wake_due_steps
-- requires: functions/spawn_child_workflow
-- requires: triggers/steps_take_sent_event
-- requires: triggers/workflows_resume_parent
-- requires: functions/cancel_workflow
-- requires: grants/submitter
-- requires: grants/worker
--
-- Waits, sleeps and child workflows: the entry points run as their owner, PUBLIC may not call
-- them. send_event: submitters (who start and steer workflows) and workers (a step may signal
-- another workflow); wake_due_steps and spawn_child_workflow: workers. The trigger function
-- that runs at COMMIT (as the session's role) runs as its owner too, like the other trigger
-- functions; PUBLIC may call none of the new functions, internal ones included.
BEGIN;
ALTER FUNCTION tributary.send_event(text, jsonb, bigint, text, interval) SECURITY DEFINER;
ALTER FUNCTION tributary.wake_due_steps(integer) SECURITY DEFINER;
ALTER FUNCTION tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb) SECURITY DEFINER;
ALTER FUNCTION tributary.tg_steps__take_sent_event() SECURITY DEFINER;
ALTER FUNCTION tributary.tg_steps__begin_wait() SECURITY DEFINER;
ALTER FUNCTION tributary.tg_workflows__resume_parent() SECURITY DEFINER;
REVOKE ALL ON FUNCTION tributary.send_event(text, jsonb, bigint, text, interval), tributary.wake_due_steps(integer),
  tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb), tributary._lock_event(bigint, text, text),
  tributary._wait_spec(jsonb), tributary._complete_waits(bigint[], jsonb[]), tributary.tg_steps__begin_wait(),
  tributary.tg_steps__take_sent_event(), tributary.tg_workflows__resume_parent() FROM PUBLIC;
DO $$
BEGIN
  PERFORM tributary._grant('submitter', 'EXECUTE ON FUNCTION tributary.send_event(text, jsonb, bigint, text, interval)');
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.send_event(text, jsonb, bigint, text, interval), '
                                     'tributary.wake_due_steps(integer), '
                                     'tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb)');
END
$$;
COMMIT;
