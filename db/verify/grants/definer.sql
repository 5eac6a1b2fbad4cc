-- Verify tributary:grants/definer
BEGIN;
SELECT 1 / (pg_catalog.count(*) = 17)::integer FROM pg_catalog.pg_proc AS p
WHERE p.prosecdef AND p.oid IN (
  'tributary.create_workflow(text, jsonb, timestamptz, jsonb, text)'::regprocedure,
  'tributary.claim_step(text, text, integer)'::regprocedure,
  'tributary.complete_step(bigint, integer, jsonb)'::regprocedure,
  'tributary.complete_steps(bigint[], integer[], jsonb[])'::regprocedure,
  'tributary.fail_step(bigint, integer, jsonb, boolean)'::regprocedure,
  'tributary.heartbeat(bigint, integer)'::regprocedure,
  'tributary.heartbeat_steps(bigint[], integer[])'::regprocedure,
  'tributary.release_steps(bigint[], integer[])'::regprocedure,
  'tributary.rescue_expired_steps(integer)'::regprocedure,
  'tributary.cancel_workflow(bigint, text)'::regprocedure,
  'tributary.retry_step(bigint)'::regprocedure,
  'tributary.retry_workflow(bigint)'::regprocedure,
  'tributary.prune_finished(interval, integer)'::regprocedure,
  'tributary.get_workflow(bigint)'::regprocedure,
  'tributary.tg_steps__check_direct_insert()'::regprocedure,
  'tributary.tg_workflows__reset_direct_insert()'::regprocedure,
  'tributary.tg_workflows__resolve_at_commit()'::regprocedure
);
ROLLBACK;
