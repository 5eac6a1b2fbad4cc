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
ALTER FUNCTION tributary.create_workflows(jsonb) SECURITY INVOKER;
ALTER FUNCTION tributary.list_workflows(text, text, timestamptz, text, bigint, integer) SECURITY INVOKER;
ALTER FUNCTION tributary.report_worker_process(text, text, integer, text[], text[], text) SECURITY INVOKER;
ALTER FUNCTION tributary.forget_worker_process(text) SECURITY INVOKER;
ALTER FUNCTION tributary.prune_worker_processes(interval) SECURITY INVOKER;
ALTER FUNCTION tributary.create_schedule(text, text, jsonb, text, interval, text, jsonb, text, text, integer, interval, timestamptz, boolean) SECURITY INVOKER;
ALTER FUNCTION tributary.pause_schedule(text) SECURITY INVOKER;
ALTER FUNCTION tributary.resume_schedule(text) SECURITY INVOKER;
ALTER FUNCTION tributary.delete_schedule(text) SECURITY INVOKER;
ALTER FUNCTION tributary.fire_due_schedules(integer) SECURITY INVOKER;
ALTER FUNCTION tributary.cron_next(text, text, timestamptz) SECURITY INVOKER;
ALTER FUNCTION tributary.tg_steps__check_direct_insert() SECURITY INVOKER;
ALTER FUNCTION tributary.tg_workflows__reset_direct_insert() SECURITY INVOKER;
ALTER FUNCTION tributary.tg_workflows__resolve_at_commit() SECURITY INVOKER;

COMMIT;
