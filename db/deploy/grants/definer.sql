-- Deploy tributary:grants/definer
-- requires: schema
--
-- Every entry point runs with its owner's privileges (SECURITY DEFINER), so the group roles need
-- EXECUTE on the functions of their purpose and no privilege on the tables: what a role may do
-- is exactly the functions it may call, each of which makes one whole state transition. Every
-- function already pins search_path = '' and qualifies every name, so a caller cannot redirect
-- one. The trigger functions of the direct-INSERT path run as the owner too: they read the
-- settings, check the workflow and resolve the graph for a caller who may only INSERT.
-- Internal functions (_*) stay SECURITY INVOKER: they run inside an entry point, as its owner.
-- A later rework of one of these functions must say SECURITY DEFINER itself (CREATE OR REPLACE
-- resets it); db/tests/roles/privileges.sql fails when one does not.
BEGIN;

ALTER FUNCTION tributary.create_workflow(text, jsonb, timestamptz, jsonb, text) SECURITY DEFINER;
ALTER FUNCTION tributary.claim_step(text, text, integer) SECURITY DEFINER;
ALTER FUNCTION tributary.complete_step(bigint, integer, jsonb) SECURITY DEFINER;
ALTER FUNCTION tributary.complete_steps(bigint[], integer[], jsonb[]) SECURITY DEFINER;
ALTER FUNCTION tributary.fail_step(bigint, integer, jsonb, boolean) SECURITY DEFINER;
ALTER FUNCTION tributary.heartbeat(bigint, integer) SECURITY DEFINER;
ALTER FUNCTION tributary.heartbeat_steps(bigint[], integer[]) SECURITY DEFINER;
ALTER FUNCTION tributary.release_steps(bigint[], integer[]) SECURITY DEFINER;
ALTER FUNCTION tributary.rescue_expired_steps(integer) SECURITY DEFINER;
ALTER FUNCTION tributary.cancel_workflow(bigint, text) SECURITY DEFINER;
ALTER FUNCTION tributary.retry_step(bigint) SECURITY DEFINER;
ALTER FUNCTION tributary.retry_workflow(bigint) SECURITY DEFINER;
ALTER FUNCTION tributary.prune_finished(interval, integer) SECURITY DEFINER;
ALTER FUNCTION tributary.get_workflow(bigint) SECURITY DEFINER;
ALTER FUNCTION tributary.create_workflows(jsonb) SECURITY DEFINER;
ALTER FUNCTION tributary.list_workflows(text, text, timestamptz, text, bigint, integer) SECURITY DEFINER;
ALTER FUNCTION tributary.report_worker_process(text, text, integer, text[], text[], text) SECURITY DEFINER;
ALTER FUNCTION tributary.forget_worker_process(text) SECURITY DEFINER;
ALTER FUNCTION tributary.prune_worker_processes(interval) SECURITY DEFINER;
ALTER FUNCTION tributary.create_schedule(text, text, jsonb, text, interval, text, jsonb, text, text, integer, interval, timestamptz, boolean) SECURITY DEFINER;
ALTER FUNCTION tributary.pause_schedule(text) SECURITY DEFINER;
ALTER FUNCTION tributary.resume_schedule(text) SECURITY DEFINER;
ALTER FUNCTION tributary.delete_schedule(text) SECURITY DEFINER;
ALTER FUNCTION tributary.fire_due_schedules(integer) SECURITY DEFINER;
ALTER FUNCTION tributary.cron_next(text, text, timestamptz) SECURITY DEFINER;
ALTER FUNCTION tributary.tg_steps__check_direct_insert() SECURITY DEFINER;
ALTER FUNCTION tributary.tg_workflows__reset_direct_insert() SECURITY DEFINER;
ALTER FUNCTION tributary.tg_workflows__resolve_at_commit() SECURITY DEFINER;

COMMIT;
