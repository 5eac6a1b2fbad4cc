-- Deploy tributary:grants/complete_steps_and_claim
-- requires: functions/complete_steps_and_claim
-- requires: grants/worker
--
-- complete_steps_and_claim runs as its owner like every entry point; PUBLIC may not call it,
-- workers may (it is complete_steps and claim_steps, which they may call one by one).
BEGIN;

ALTER FUNCTION tributary.complete_steps_and_claim(bigint[], integer[], jsonb[], text, text[], integer[]) SECURITY DEFINER;
REVOKE ALL ON FUNCTION tributary.complete_steps_and_claim(bigint[], integer[], jsonb[], text, text[], integer[]) FROM PUBLIC;

DO $$
BEGIN
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.complete_steps_and_claim(bigint[], integer[], jsonb[], text, text[], integer[])');
END
$$;

COMMIT;
