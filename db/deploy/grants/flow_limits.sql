-- Deploy tributary:grants/flow_limits
-- requires: functions/set_concurrency_limit
-- requires: functions/remove_concurrency_limit
-- requires: functions/set_rate_limit
-- requires: functions/remove_rate_limit
-- requires: functions/claim_retry_in
-- requires: columns/steps_concurrency_key
-- requires: grants/admin
-- requires: grants/worker
-- requires: grants/submitter
-- requires: functions/_claim_under_limits
-- requires: triggers/steps_notify_slot_freed
--
-- Concurrency and rate limits: like every entry point their functions run as their owner (the
-- slot-freed trigger too, as the direct-INSERT triggers do) and PUBLIC may call none of them. Admins set and remove limits; workers read claim_retry_in() after a
-- claim; submitters may set a step's concurrency_key in a direct INSERT (a caller column).
BEGIN;

ALTER FUNCTION tributary.set_concurrency_limit(text, text, integer) SECURITY DEFINER;
ALTER FUNCTION tributary.remove_concurrency_limit(text, text) SECURITY DEFINER;
ALTER FUNCTION tributary.set_rate_limit(text, text, integer, interval) SECURITY DEFINER;
ALTER FUNCTION tributary.remove_rate_limit(text, text) SECURITY DEFINER;
ALTER FUNCTION tributary.claim_retry_in(text) SECURITY DEFINER;
ALTER FUNCTION tributary.tg_steps__notify_slot_freed() SECURITY DEFINER;
REVOKE ALL ON FUNCTION tributary.set_concurrency_limit(text, text, integer),
  tributary.remove_concurrency_limit(text, text), tributary.set_rate_limit(text, text, integer, interval),
  tributary.remove_rate_limit(text, text), tributary.claim_retry_in(text), tributary.tg_steps__notify_slot_freed(),
  tributary._claim_under_limits(text, integer, timestamptz, boolean, boolean), tributary._check_flow_target(text, text)
  FROM PUBLIC;

DO $$
BEGIN
  PERFORM tributary._grant('admin', 'EXECUTE ON FUNCTION tributary.set_concurrency_limit(text, text, integer), tributary.remove_concurrency_limit(text, text), tributary.set_rate_limit(text, text, integer, interval), tributary.remove_rate_limit(text, text)');
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.claim_retry_in(text)');
  PERFORM tributary._grant('submitter', 'INSERT (concurrency_key) ON tributary.steps');
END
$$;

COMMIT;
