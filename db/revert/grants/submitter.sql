-- Revert tributary:grants/submitter
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('submitter', 'EXECUTE ON FUNCTION tributary.create_workflows(jsonb), tributary.create_schedule(text, text, jsonb, text, interval, text, jsonb, text, text, integer, interval, timestamptz, boolean)', p_revoke => true);
  PERFORM tributary._grant('submitter', 'EXECUTE ON FUNCTION tributary.create_workflow(text, jsonb, timestamptz, jsonb, text), tributary.cancel_workflow(bigint, text), tributary.now()', p_revoke => true);
  PERFORM tributary._grant('submitter', 'INSERT (name, metadata, idempotency_key, scheduled_at) ON tributary.workflows', p_revoke => true);
  PERFORM tributary._grant('submitter', 'SELECT (id) ON tributary.workflows', p_revoke => true);
  PERFORM tributary._grant('submitter', 'INSERT (workflow_id, task_name, kind, args, depends_on, queue, priority, max_attempts, timeout, retry_backoff, scheduled_at) ON tributary.steps', p_revoke => true);
  PERFORM tributary._grant('submitter', 'USAGE ON SCHEMA tributary', p_revoke => true);
END
$$;

COMMIT;
