-- Revert tributary:grants/reader
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('reader', 'EXECUTE ON FUNCTION tributary.get_workflow(bigint), tributary.now()', p_revoke => true);
  PERFORM tributary._grant('reader', 'SELECT ON tributary.workflow_progress, tributary.queue_depths, tributary.recent_failures', p_revoke => true);
  PERFORM tributary._grant('reader', 'USAGE ON SCHEMA tributary', p_revoke => true);
END
$$;

COMMIT;
