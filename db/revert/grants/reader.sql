-- Revert tributary:grants/reader
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('reader', 'EXECUTE ON FUNCTION tributary.list_workflows(text, text, timestamptz, text, bigint, integer), tributary.cron_next(text, text, timestamptz)', p_revoke => true);
  PERFORM tributary._grant('reader', 'SELECT ON tributary.expired_leases, tributary.worker_process_status, tributary.unserved_queues, tributary.schedule_status', p_revoke => true);
  PERFORM tributary._grant('reader', 'EXECUTE ON FUNCTION tributary.get_workflow(bigint), tributary.now()', p_revoke => true);
  PERFORM tributary._grant('reader', 'SELECT ON tributary.workflow_progress, tributary.queue_depths, tributary.recent_failures', p_revoke => true);
  PERFORM tributary._grant('reader', 'USAGE ON SCHEMA tributary', p_revoke => true);
END
$$;

COMMIT;
