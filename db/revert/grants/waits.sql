-- Revert tributary:grants/waits
BEGIN;
DO $$
BEGIN
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.send_event(text, jsonb, bigint, text, interval), '
                                     'tributary.wake_due_steps(integer), '
                                     'tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb)', p_revoke => true);
  PERFORM tributary._grant('submitter', 'EXECUTE ON FUNCTION tributary.send_event(text, jsonb, bigint, text, interval)', p_revoke => true);
END
$$;
GRANT EXECUTE ON FUNCTION tributary.send_event(text, jsonb, bigint, text, interval), tributary.wake_due_steps(integer),
  tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb) TO PUBLIC;
ALTER FUNCTION tributary.send_event(text, jsonb, bigint, text, interval) SECURITY INVOKER;
ALTER FUNCTION tributary.wake_due_steps(integer) SECURITY INVOKER;
ALTER FUNCTION tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb) SECURITY INVOKER;
ALTER FUNCTION tributary.tg_steps__take_sent_event() SECURITY INVOKER;
ALTER FUNCTION tributary.tg_steps__begin_wait() SECURITY INVOKER;
ALTER FUNCTION tributary.tg_workflows__resume_parent() SECURITY INVOKER;
GRANT EXECUTE ON FUNCTION tributary._lock_event(bigint, text, text), tributary._wait_spec(jsonb),
  tributary._complete_waits(bigint[], jsonb[]), tributary.tg_steps__begin_wait(),
  tributary.tg_steps__take_sent_event(), tributary.tg_workflows__resume_parent() TO PUBLIC;
COMMIT;
