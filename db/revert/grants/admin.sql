-- Revert tributary:grants/admin
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('admin', 'EXECUTE ON FUNCTION tributary.pause_schedule(text), tributary.resume_schedule(text), tributary.delete_schedule(text)', p_revoke => true);
  PERFORM tributary._grant('admin', 'EXECUTE ON FUNCTION tributary.retry_step(bigint), tributary.retry_workflow(bigint), tributary.prune_finished(interval, integer)', p_revoke => true);
  PERFORM tributary._grant('admin', 'SELECT, UPDATE ON tributary.settings', p_revoke => true);
  PERFORM tributary._grant('admin', 'USAGE ON SCHEMA tributary', p_revoke => true);
END
$$;

COMMIT;
