-- Revert tributary:grants/binding
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.claim_steps(text, text, integer)', p_revoke => true);
  PERFORM tributary._grant('submitter', 'EXECUTE ON FUNCTION tributary.reserve_workflow_ids(integer)', p_revoke => true);
END
$$;
GRANT EXECUTE ON FUNCTION tributary.reserve_workflow_ids(integer), tributary.claim_steps(text, text, integer) TO PUBLIC;
ALTER FUNCTION tributary.reserve_workflow_ids(integer) SECURITY INVOKER;
ALTER FUNCTION tributary.claim_steps(text, text, integer) SECURITY INVOKER;

COMMIT;
