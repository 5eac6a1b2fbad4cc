-- Revert tributary:grants/worker
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.report_worker_process(text, text, integer, text[], text[], text), tributary.forget_worker_process(text), tributary.prune_worker_processes(interval), tributary.fire_due_schedules(integer)', p_revoke => true);
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.claim_step(text, text, integer), tributary.complete_step(bigint, integer, jsonb), tributary.complete_steps(bigint[], integer[], jsonb[]), tributary.fail_step(bigint, integer, jsonb, boolean), tributary.heartbeat(bigint, integer), tributary.heartbeat_steps(bigint[], integer[]), tributary.release_steps(bigint[], integer[]), tributary.rescue_expired_steps(integer)', p_revoke => true);
  PERFORM tributary._grant('worker', 'USAGE ON SCHEMA tributary', p_revoke => true);
END
$$;

COMMIT;
