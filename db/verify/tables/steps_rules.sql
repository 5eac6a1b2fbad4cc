-- Verify tributary:tables/steps_rules
BEGIN;
-- One CHECK constraint on steps, validated, and it is the rules' call.
SELECT 1 / (pg_catalog.count(*) = 1 AND pg_catalog.bool_and(c.convalidated)
            AND pg_catalog.bool_and(c.conname = 'steps_rules')
            AND pg_catalog.bool_and(pg_catalog.pg_get_constraintdef(c.oid) LIKE 'CHECK (tributary._step_rules(%'))::int
FROM pg_catalog.pg_constraint AS c
WHERE c.conrelid = 'tributary.steps'::regclass AND c.contype = 'c';
-- The rules refuse a bad row under the broken rule's name.
DO $$
BEGIN
  PERFORM tributary._step_rules(r.attempt, r.cancel_reason, r.concurrency_key, r.depends_on, r.errors, r.finalized_at, r.kind,
      r.lease_expires_at, r.map_index, r.map_over, r.map_path, r.map_size, r.map_step_id, r.max_attempts, r.queue,
      r.remaining_deps, r.result, r.retry_backoff, r.run_if, r.run_when, r.scheduled_at, r.state, r.task_name,
      r.timeout, r.wait, r.wake_at, r.worker_id)
  FROM pg_catalog.jsonb_populate_record(NULL::tributary.steps,
    '{"workflow_id": 1, "task_name": "t", "kind": "", "queue": "q", "priority": 0, "max_attempts": 1,
      "timeout": "1 hour", "retry_backoff": "0", "state": "pending", "attempt": 0, "errors": [],
      "scheduled_at": "2026-01-01T00:00:00Z", "run_when": "all_completed"}') AS r;
  RAISE EXCEPTION 'tributary._step_rules accepted a step of kind ''''';
EXCEPTION WHEN check_violation THEN
  DECLARE v_name text;
  BEGIN
    GET STACKED DIAGNOSTICS v_name = CONSTRAINT_NAME;
    IF v_name IS DISTINCT FROM 'steps_kind_not_blank' THEN
      RAISE EXCEPTION 'tributary._step_rules named % for a blank kind', v_name;
    END IF;
  END;
END
$$;
ROLLBACK;
