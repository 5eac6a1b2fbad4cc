-- Revert tributary:grants/flow_limits
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('submitter', 'INSERT (concurrency_key) ON tributary.steps', p_revoke => true);
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.claim_retry_in(text)', p_revoke => true);
  PERFORM tributary._grant('admin', 'EXECUTE ON FUNCTION tributary.set_concurrency_limit(text, text, integer), tributary.remove_concurrency_limit(text, text), tributary.set_rate_limit(text, text, integer, interval), tributary.remove_rate_limit(text, text)', p_revoke => true);
END
$$;
ALTER FUNCTION tributary.set_concurrency_limit(text, text, integer) SECURITY INVOKER;
ALTER FUNCTION tributary.remove_concurrency_limit(text, text) SECURITY INVOKER;
ALTER FUNCTION tributary.set_rate_limit(text, text, integer, interval) SECURITY INVOKER;
ALTER FUNCTION tributary.remove_rate_limit(text, text) SECURITY INVOKER;
ALTER FUNCTION tributary.claim_retry_in(text) SECURITY INVOKER;
ALTER FUNCTION tributary.tg_steps__notify_slot_freed() SECURITY INVOKER;
GRANT EXECUTE ON FUNCTION tributary.set_concurrency_limit(text, text, integer),
  tributary.remove_concurrency_limit(text, text), tributary.set_rate_limit(text, text, integer, interval),
  tributary.remove_rate_limit(text, text), tributary.claim_retry_in(text), tributary.tg_steps__notify_slot_freed(),
  tributary._claim_under_limits(text, integer, timestamptz, boolean, boolean), tributary._check_flow_target(text, text)
  TO PUBLIC;

COMMIT;
