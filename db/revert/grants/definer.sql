-- Revert tributary:grants/definer
BEGIN;

ALTER FUNCTION tributary.create_workflow(text, jsonb, timestamptz, jsonb, text) SECURITY INVOKER;
ALTER FUNCTION tributary.claim_step(text, text, integer) SECURITY INVOKER;
ALTER FUNCTION tributary.complete_step(bigint, integer, jsonb) SECURITY INVOKER;
ALTER FUNCTION tributary.complete_steps(bigint[], integer[], jsonb[]) SECURITY INVOKER;
ALTER FUNCTION tributary.fail_step(bigint, integer, jsonb, boolean) SECURITY INVOKER;
ALTER FUNCTION tributary.heartbeat(bigint, integer) SECURITY INVOKER;
ALTER FUNCTION tributary.heartbeat_steps(bigint[], integer[]) SECURITY INVOKER;
ALTER FUNCTION tributary.release_steps(bigint[], integer[]) SECURITY INVOKER;
ALTER FUNCTION tributary.rescue_expired_steps(integer) SECURITY INVOKER;
ALTER FUNCTION tributary.cancel_workflow(bigint, text) SECURITY INVOKER;
ALTER FUNCTION tributary.retry_step(bigint) SECURITY INVOKER;
ALTER FUNCTION tributary.retry_workflow(bigint) SECURITY INVOKER;
ALTER FUNCTION tributary.prune_finished(interval, integer) SECURITY INVOKER;
ALTER FUNCTION tributary.get_workflow(bigint) SECURITY INVOKER;
ALTER FUNCTION tributary.tg_steps__check_direct_insert() SECURITY INVOKER;
ALTER FUNCTION tributary.tg_workflows__reset_direct_insert() SECURITY INVOKER;
ALTER FUNCTION tributary.tg_workflows__resolve_at_commit() SECURITY INVOKER;

COMMIT;
