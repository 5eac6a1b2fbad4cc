-- Deploy tributary:grants/complete_steps_and_start
-- requires: functions/complete_steps_and_start
-- requires: grants/complete_steps_and_claim
--
-- complete_steps_and_start runs as its caller (the one entry point that does): what it does is
-- complete_steps, create_workflows, fail_step and complete_steps_and_claim, each checked against
-- the caller. Workers may call it; starting workflows with it also needs the submitter role.
-- PUBLIC may not call it.
BEGIN;

REVOKE ALL ON FUNCTION tributary.complete_steps_and_start(bigint[], integer[], jsonb[], jsonb[], text, text[], integer[]) FROM PUBLIC;

DO $$
BEGIN
  PERFORM tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.complete_steps_and_start(bigint[], integer[], jsonb[], jsonb[], text, text[], integer[])');
END
$$;

COMMIT;
