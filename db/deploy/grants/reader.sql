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
END
$$;

COMMIT;
