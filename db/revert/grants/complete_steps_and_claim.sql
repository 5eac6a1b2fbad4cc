-- Revert tributary:grants/complete_steps_and_claim
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.complete_steps_and_claim(bigint[], integer[], jsonb[], text, text[], integer[])', p_revoke => true);
END
$$;
GRANT EXECUTE ON FUNCTION tributary.complete_steps_and_claim(bigint[], integer[], jsonb[], text, text[], integer[]) TO PUBLIC;
ALTER FUNCTION tributary.complete_steps_and_claim(bigint[], integer[], jsonb[], text, text[], integer[]) SECURITY INVOKER;

COMMIT;
