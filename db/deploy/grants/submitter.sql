-- Deploy tributary:grants/submitter
-- requires: roles/submitter
-- requires: grants/public
--
-- Submitters create and cancel workflows (and read them, as members of the reader role). The
-- direct-INSERT path needs the narrowest table rights: INSERT on the columns a caller sets (never
-- an engine column, nor an id), SELECT on workflows.id for INSERT ... RETURNING id, and EXECUTE
-- on tributary.now() for the created_at and scheduled_at defaults. The triggers that check and
-- resolve the inserted rows run as the owner.
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('submitter', 'USAGE ON SCHEMA tributary');
  PERFORM tributary._grant('submitter', 'EXECUTE ON FUNCTION tributary.create_workflow(text, jsonb, timestamptz, jsonb, text), tributary.cancel_workflow(bigint, text), tributary.now()');
  PERFORM tributary._grant('submitter', 'INSERT (name, metadata, idempotency_key, scheduled_at) ON tributary.workflows');
  PERFORM tributary._grant('submitter', 'SELECT (id) ON tributary.workflows');
  PERFORM tributary._grant('submitter', 'INSERT (workflow_id, task_name, kind, args, depends_on, queue, priority, max_attempts, timeout, retry_backoff, scheduled_at) ON tributary.steps');
  PERFORM tributary._grant('submitter', 'EXECUTE ON FUNCTION tributary.create_workflows(jsonb), tributary.create_schedule(text, text, jsonb, text, interval, text, jsonb, text, text, integer, interval, timestamptz, boolean)');
END
$$;

COMMIT;
