-- Deploy tributary:grants/admin
-- requires: roles/admin
-- requires: grants/public
--
-- Admins change the settings, retry steps and workflows and prune finished ones; as members of
-- the worker, submitter and reader roles they can do all those can too.
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('admin', 'USAGE ON SCHEMA tributary');
  PERFORM tributary._grant('admin', 'EXECUTE ON FUNCTION tributary.retry_step(bigint), tributary.retry_workflow(bigint), tributary.prune_finished(interval, integer)');
  PERFORM tributary._grant('admin', 'SELECT, UPDATE ON tributary.settings');
  PERFORM tributary._grant('admin', 'EXECUTE ON FUNCTION tributary.pause_schedule(text), tributary.resume_schedule(text), tributary.delete_schedule(text)');
END
$$;

COMMIT;
