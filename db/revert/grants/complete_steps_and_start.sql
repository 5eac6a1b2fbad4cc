-- Revert tributary:grants/complete_steps_and_start
BEGIN;

DO $$
BEGIN
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.complete_steps_and_start(bigint[], integer[], jsonb[], jsonb[], text, text[], integer[])', p_revoke => true);
END
$$;
GRANT EXECUTE ON FUNCTION tributary.complete_steps_and_start(bigint[], integer[], jsonb[], jsonb[], text, text[], integer[]) TO PUBLIC;

COMMIT;
