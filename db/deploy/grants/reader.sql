-- Deploy tributary:grants/reader
-- requires: roles/reader
-- requires: grants/public
--
-- Readers call get_workflow and read the views (which read the tables with the owner's
-- privileges; tributary.now() is called with the reader's). No privilege on the tables.
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('reader', 'USAGE ON SCHEMA tributary');
  PERFORM tributary._grant('reader', 'EXECUTE ON FUNCTION tributary.get_workflow(bigint), tributary.now()');
  PERFORM tributary._grant('reader', 'SELECT ON tributary.workflow_progress, tributary.queue_depths, tributary.recent_failures');
  PERFORM tributary._grant('reader', 'EXECUTE ON FUNCTION tributary.list_workflows(text, text, timestamptz, text, bigint, integer), tributary.cron_next(text, text, timestamptz)');
  PERFORM tributary._grant('reader', 'SELECT ON tributary.expired_leases, tributary.worker_process_status, tributary.unserved_queues, tributary.schedule_status');
END
$$;

COMMIT;
