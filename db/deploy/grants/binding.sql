-- Deploy tributary:grants/binding
-- requires: functions/reserve_workflow_ids
-- requires: functions/claim_steps
-- requires: grants/submitter
-- requires: grants/worker
--
-- The functions that let encryption bind payloads (reserve_workflow_ids, claim_steps), added
-- after the grants/* changes: like every entry point they run as their owner, PUBLIC may not call
-- them; submitters may reserve ids, workers may claim.
BEGIN;

ALTER FUNCTION tributary.reserve_workflow_ids(integer) SECURITY DEFINER;
ALTER FUNCTION tributary.claim_steps(text, text, integer) SECURITY DEFINER;
REVOKE ALL ON FUNCTION tributary.reserve_workflow_ids(integer), tributary.claim_steps(text, text, integer) FROM PUBLIC;

DO $$
BEGIN
  PERFORM tributary._grant('submitter', 'EXECUTE ON FUNCTION tributary.reserve_workflow_ids(integer)');
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.claim_steps(text, text, integer)');
END
$$;

COMMIT;
