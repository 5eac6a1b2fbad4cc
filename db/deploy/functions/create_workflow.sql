-- Deploy tributary:functions/create_workflow
-- requires: functions/create_workflow@v0.1.0
-- requires: functions/_create_workflows
--
-- Creates a workflow and all its steps in one call (one transaction, one round trip), set-based:
-- O(steps + edges). p_tasks is a JSON array of task objects:
--   {"name", "kind", "args", "depends_on": [names], "queue", "priority", "max_attempts",
--    "timeout", "retry_backoff", "scheduled_at"}
-- name and kind are required; omitted options take tributary.settings' defaults; timeout and
-- retry_backoff are an interval string ('5 minutes') or a number of seconds. Errors name the
-- offending task and leave nothing behind: TB005 invalid task, TB003 duplicate task name,
-- TB002 unknown dependency, TB001 cycle, TB004 empty workflow. With p_idempotency_key, a second
-- call with the same key returns the first workflow's id and creates nothing.
-- The one-workflow case of _create_workflows (create_workflows' implementation): one rule, one
-- place.
-- PL/pgSQL, not SQL: a SQL function with SET options is never inlined, so it was planned again
-- at every call (0.1-0.2 ms of a one-step creation); a PL/pgSQL one keeps its plan for the session.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.create_workflow(
  p_name text,
  p_tasks jsonb,
  p_scheduled_at timestamptz DEFAULT NULL,
  p_metadata jsonb DEFAULT '{}',
  p_idempotency_key text DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  RETURN (tributary._create_workflows(
    pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
      'name', p_name, 'tasks', p_tasks, 'scheduled_at', p_scheduled_at,
      'metadata', p_metadata, 'idempotency_key', p_idempotency_key)),
    false))[1];
END;
$$;

COMMENT ON FUNCTION tributary.create_workflow(text, jsonb, timestamptz, jsonb, text) IS
  'Creates a workflow and its steps atomically from a JSON array of tasks {name, kind, args, depends_on, queue, priority, max_attempts, timeout, retry_backoff, scheduled_at}; returns its id. Errors: TB005 invalid task, TB003 duplicate name, TB002 unknown dependency, TB001 cycle, TB004 empty. Same idempotency key -> same id.';

COMMIT;
