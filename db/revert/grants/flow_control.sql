-- Revert tributary:grants/flow_control
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.hand_back_step(bigint, integer, text, jsonb)', p_revoke => true);
  PERFORM tributary._grant('admin', 'EXECUTE ON FUNCTION tributary.pause_queue(text), tributary.resume_queue(text)', p_revoke => true);
END
$$;
GRANT EXECUTE ON FUNCTION tributary.pause_queue(text), tributary.resume_queue(text),
  tributary.hand_back_step(bigint, integer, text, jsonb) TO PUBLIC;
ALTER FUNCTION tributary.pause_queue(text) SECURITY INVOKER;
ALTER FUNCTION tributary.resume_queue(text) SECURITY INVOKER;
ALTER FUNCTION tributary.hand_back_step(bigint, integer, text, jsonb) SECURITY INVOKER;

COMMIT;
