-- Deploy tributary:functions/create_workflows
-- requires: functions/_create_workflows
--
-- Creates many workflows in one call, all or nothing: p_workflows is a JSON array of
-- {"name", "tasks", "scheduled_at", "metadata", "idempotency_key"} (tasks as for
-- create_workflow). The same checks and SQLSTATEs as create_workflow; the DETAIL of an error
-- starts with the failing workflow's position in the batch and its name. A workflow whose
-- idempotency key is already taken (or taken earlier in the same batch) is not created again:
-- its position gets the existing id. Returns the ids in input order. Set-based over the whole
-- batch: O(steps + edges).
-- PL/pgSQL, not SQL: a SQL function with SET options is never inlined, so it was planned again
-- at every call (0.1-0.2 ms of a one-step creation); a PL/pgSQL one keeps its plan for the session.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.create_workflows(p_workflows jsonb)
RETURNS bigint[]
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  RETURN tributary._create_workflows(p_workflows, true);
END;
$$;

COMMENT ON FUNCTION tributary.create_workflows(jsonb) IS
  'Creates a batch of workflows atomically from a JSON array of {name, tasks, scheduled_at, metadata, idempotency_key}; returns their ids in input order. Errors as create_workflow, with the workflow''s position and name in DETAIL.';

COMMIT;
